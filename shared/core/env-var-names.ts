/**
 * Environment variable names a custom credential may not take: `exec` puts
 * a credential's value into the stage's environment under its name, so a
 * name the dynamic loader, a shell, a language runtime or a common tool
 * reads as configuration (PATH, LD_PRELOAD, NODE_OPTIONS, BASH_ENV, ...)
 * would turn a secret into code or a search path. Pure.
 */
import { CATALOG, catalogEntry } from './catalog';
import type { Profile } from './profile-schema';
import { ENV_VAR_NAME, splitCredentialId } from './credential';

/** Names read as configuration by the loader, shells, runtimes and common tools. */
const RESERVED = new Set([
  // process and shell
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'PWD', 'OLDPWD', 'TMPDIR', 'TMP', 'TEMP', 'TERM', 'TZ', 'LANG', 'LANGUAGE',
  'IFS', 'ENV', 'BASH_ENV', 'SHELLOPTS', 'BASHOPTS', 'PS1', 'PS2', 'PS3', 'PS4', 'PROMPT_COMMAND', 'CDPATH', 'GLOBIGNORE',
  'HISTFILE', 'MAIL', 'MAILPATH', 'FPATH', 'ZDOTDIR', 'EDITOR', 'VISUAL', 'PAGER', 'BROWSER', 'DISPLAY', 'WAYLAND_DISPLAY',
  'DBUS_SESSION_BUS_ADDRESS', 'GCONV_PATH', 'HOSTALIASES', 'LOCALDOMAIN', 'RES_OPTIONS', 'NLSPATH', 'LOCPATH',
  // runtimes
  'NODE_OPTIONS', 'NODE_PATH', 'NODE_EXTRA_CA_CERTS', 'NODE_TLS_REJECT_UNAUTHORIZED', 'ELECTRON_RUN_AS_NODE',
  'PERL5LIB', 'PERL5OPT', 'PERLLIB', 'RUBYOPT', 'RUBYLIB', 'GEM_HOME', 'GEM_PATH', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS',
  'CLASSPATH', 'LUA_PATH', 'LUA_CPATH', 'TCLLIBPATH', 'R_PROFILE', 'R_PROFILE_USER',
  // network and TLS
  'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE',
  // git and ssh
  'GIT_SSH', 'GIT_SSH_COMMAND', 'GIT_EXEC_PATH', 'GIT_ASKPASS', 'SSH_ASKPASS', 'GIT_DIR', 'GIT_WORK_TREE', 'GIT_PROXY_COMMAND',
  'GIT_EXTERNAL_DIFF', 'GIT_PAGER', 'GIT_EDITOR', 'SSH_AUTH_SOCK',
  // what a pipeline's stages run on: GPUs, Python environments, model caches (a teammate's file must not move them)
  'VIRTUAL_ENV', 'PYENV_VERSION', 'PYENV_ROOT', 'HF_HOME', 'HF_ENDPOINT', 'HF_TOKEN_PATH', 'HF_HUB_CACHE', 'HF_HUB_OFFLINE',
  'HF_DATASETS_CACHE', 'HF_DATASETS_OFFLINE', 'TRANSFORMERS_CACHE', 'TRANSFORMERS_OFFLINE', 'TORCH_HOME', 'XLA_FLAGS',
  // tools that run commands or load code named in a variable, or write keys to a file
  'LESS', 'LESSOPEN', 'LESSCLOSE', 'LESSKEY', 'LESSSECURE', 'MANPAGER', 'SYSTEMD_PAGER', 'SUDO_ASKPASS', 'SUDO_EDITOR',
  'EXINIT', 'VIMINIT', 'MYVIMRC', 'INPUTRC', 'TERMINFO', 'TERMINFO_DIRS', 'SSLKEYLOGFILE', 'GNUPGHOME', 'KRB5_CONFIG',
  'KRB5CCNAME', 'FFREPORT', 'MAKEFLAGS', 'CC', 'CXX', 'CFLAGS', 'CPPFLAGS', 'LDFLAGS', 'PKG_CONFIG_PATH', 'FTP_PROXY',
  'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CA_BUNDLE', 'DOCKER_HOST', 'DOCKER_CONFIG', 'KUBECONFIG',
  'NETRC', 'CURL_HOME', 'WGETRC', 'XAUTHORITY', 'BASH_XTRACEFD', 'AWS_ENDPOINT_URL', 'GOOGLE_APPLICATION_CREDENTIALS',
  // where a stage's SDKs send their keys, and the programs its media libraries run (as HF_ENDPOINT above)
  'OPENAI_BASE_URL', 'OPENAI_API_BASE', 'ANTHROPIC_BASE_URL', 'FFMPEG_BINARY', 'IMAGEIO_FFMPEG_EXE', 'FFPROBE_BINARY',
  // options that run a command (TAR_OPTIONS' --checkpoint-action=exec=...), and plugin paths media and GPU libraries load
  'TAR_OPTIONS', 'ZIPOPT', 'MANOPT', 'RSYNC_RSH', 'RSYNC_CONNECT_PROG', 'CVS_RSH', 'SVN_SSH', 'RUSTC_WRAPPER', 'GIT_TEMPLATE_DIR',
  'NODE_REPL_EXTERNAL_MODULE', 'MPLBACKEND', 'PERL_MB_OPT', 'PERL_MM_OPT', 'R_LIBS', 'R_LIBS_USER', 'R_ENVIRON', 'R_ENVIRON_USER',
  'JULIA_LOAD_PATH', 'GST_PLUGIN_PATH', 'GST_PLUGIN_PATH_1_0', 'GST_PLUGIN_SYSTEM_PATH', 'GST_PLUGIN_SYSTEM_PATH_1_0', 'LIBVA_DRIVERS_PATH',
  'VDPAU_DRIVER_PATH', 'GIO_EXTRA_MODULES', 'GTK_PATH', 'QT_PLUGIN_PATH', 'VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_LAYER_PATH',
  'OCL_ICD_VENDORS', 'OCL_ICD_FILENAMES', '__EGL_VENDOR_LIBRARY_FILENAMES', 'LIBGL_DRIVERS_PATH', 'HDF5_PLUGIN_PATH', 'MAGICK_CODER_MODULE_PATH',
  // editors and diff programs tools run (git rebase -i, kubectl edit/diff, bash's fc, svn, cvs, hg); code a runtime runs
  // or loads at start (Lua's init chunk, the perl debugger, .NET hooks and profilers, PHP's ini: auto_prepend_file,
  // IPython's startup folder, GTK modules); options that name a program (go's -toolexec, rustc's -C linker, the JVM's
  // -XX:OnOutOfMemoryError and -javaagent: in JAVA_OPTS, MAVEN_OPTS, GRADLE_OPTS), and the compiler cargo runs
  'GIT_SEQUENCE_EDITOR', 'KUBE_EDITOR', 'KUBECTL_EXTERNAL_DIFF', 'FCEDIT', 'SVN_EDITOR', 'CVSEDITOR', 'HGEDITOR',
  'LUA_INIT', 'LUA_INIT_5_2', 'LUA_INIT_5_3', 'LUA_INIT_5_4', 'PERL5DB', 'DOTNET_STARTUP_HOOKS', 'CORECLR_PROFILER_PATH', 'PHPRC',
  'PHP_INI_SCAN_DIR', 'IPYTHONDIR', 'GTK_MODULES', 'GTK3_MODULES', 'GOFLAGS', 'RUSTC', 'RUSTFLAGS', 'RUSTC_WORKSPACE_WRAPPER',
  'JAVA_OPTS', 'MAVEN_OPTS', 'GRADLE_OPTS',
]);

/**
 * Families of names: the loader (LD_*, DYLD_*), Python (PYTHON*), bash
 * functions, locales, XDG folders, git config, OpenSSL, GPU and thread
 * runtimes (CUDA_VISIBLE_DEVICES, OMP_NUM_THREADS ...), Python package
 * managers and environments, cpw-vault's own. (Not HF_*: HF_DATASETS_TOKEN
 * may well be a custom credential's name; the cache names are listed above.)
 */
const RESERVED_PREFIXES = ['LD_', 'DYLD_', 'PYTHON', 'BASH_FUNC_', 'LC_', 'XDG_', 'GIT_CONFIG', 'MALLOC_', 'GLIBC_', 'CPW_', 'OPENSSL_', 'CUDA_', 'NVIDIA_', 'NCCL_', 'HIP_', 'ROCR_', 'OMP_', 'KMP_', 'MKL_', 'OPENBLAS_', 'PIP_', 'UV_', 'CONDA_', 'TORCHINDUCTOR_', 'NPM_CONFIG_'];

/** A name the loader, a shell, a runtime or a common tool reads as configuration: never a credential's carrier. */
export function isReservedEnvVar(name: string): boolean {
  return RESERVED.has(name) || RESERVED_PREFIXES.some((p) => name.startsWith(p));
}

/** The credential (catalog) that owns each of its env var names. */
const CATALOG_OWNER = new Map(CATALOG.flatMap((e) => e.envVars.map((v) => [v, e.id] as const)));

/** The catalog credential that carries env var `name` (HF_TOKEN: huggingface.token), if any. */
export function catalogEnvVarOwner(name: string): string | undefined {
  return CATALOG_OWNER.get(name);
}

/** Who carries an env var name (a map of the names in use to their credentials, or a lookup that answers the same). */
export interface EnvVarOwners {
  get(name: string): string | undefined;
}

/**
 * Why `name` cannot be the env var of custom credential `id`, or undefined
 * when it can. `others` maps env var names already used by other custom
 * credentials to their ids.
 */
export function envVarProblem(name: string, id: string, others: EnvVarOwners = new Map()): string | undefined {
  if (name.startsWith('CPW_')) return `${name} is one of cpw-vault's own variables (exec sets them for stages); a secret cannot take it.`;
  if (isReservedEnvVar(name)) {
    return `${name} is read as configuration by the system, a shell, a language runtime or a tool a stage runs; exec would put a secret there.`;
  }
  const owner = CATALOG_OWNER.get(name) ?? others.get(name);
  if (owner !== undefined && owner !== id) return `${name} already belongs to ${owner}.`;
  return undefined;
}

/** Longest env var name a credential may carry (ENV_VAR_NAME). */
const MAX_ENV_VAR = 64;

/**
 * The name of last resort of custom credential `id`: `CUSTOM_<ID>` (its dots
 * and dashes as `_`), cut to fit the 64 characters a name may have with room
 * for a `_<n>` suffix (a 58-character id made a name the profile then refused).
 */
export function customEnvVar(id: string, n = 1): string {
  const suffix = n > 1 ? `_${n}` : '';
  const base = `CUSTOM_${id.replace(/[.-]/g, '_').toUpperCase()}`.replace(/^CUSTOM_CUSTOM_/, 'CUSTOM_');
  return `${base.slice(0, MAX_ENV_VAR - 4).replace(/_+$/, '')}${suffix}`;
}

/** A custom credential's env var moved off a name another credential carries. */
export interface MovedEnvVar {
  id: string;
  wanted: string;
  /** The credential that carries `wanted`; undefined when no credential may carry it (reserved, not a name). */
  owner: string | undefined;
  got: string;
}

/** What a {@link MovedEnvVar} says to the user. */
export function movedEnvVarText(m: MovedEnvVar): string {
  return `${m.id} is stored with the env var ${m.got}: ${m.wanted} ${m.owner !== undefined ? `already belongs to ${m.owner}` : 'is not a name a credential may carry'}.`;
}

/**
 * `items` (credentials about to be stored, each with the env var it would
 * get) with every env var that another credential already carries (in
 * `taken`, name to id, or earlier in `items`), or that no credential may
 * carry (reserved, not a name), moved: to the name the credential has now
 * (`current`, id to name), when it is free, else to `CUSTOM_<ID>`, then
 * `_2`, `_3`... An import, a migration or a team pull used to store two
 * credentials under one name, and a stage then got whichever exec injected
 * last. The value is kept either way; `moved` says what changed, so the
 * caller can tell the user.
 */
export function distinctEnvVars<T extends { id: string; envVar?: string | undefined }>(items: readonly T[], taken: ReadonlyMap<string, string>, current: ReadonlyMap<string, string> = new Map()): { items: T[]; moved: MovedEnvVar[] } {
  const owners = new Map(taken);
  const moved: MovedEnvVar[] = [];
  const free = (name: string, id: string) => ENV_VAR_NAME.test(name) && !envVarProblem(name, id, owners);
  const out = items.map((item) => {
    const wanted = item.envVar;
    if (!wanted) return item;
    if (free(wanted, item.id)) {
      owners.set(wanted, item.id);
      return item;
    }
    const owner = ENV_VAR_NAME.test(wanted) && !isReservedEnvVar(wanted) ? (owners.get(wanted) ?? CATALOG_OWNER.get(wanted)) : undefined;
    const now = current.get(item.id);
    if (now !== undefined && now !== wanted && free(now, item.id)) {
      owners.set(now, item.id);
      moved.push({ id: item.id, wanted, owner, got: now });
      return { ...item, envVar: now };
    }
    let got = customEnvVar(item.id);
    for (let n = 2; !free(got, item.id); n++) got = customEnvVar(item.id, n);
    owners.set(got, item.id);
    moved.push({ id: item.id, wanted, owner, got });
    return { ...item, envVar: got };
  });
  return { items: out, moved };
}

/**
 * The name a custom credential moved off one it may not carry gets when its user named none (`set` again without
 * `--env-var`): SERVICE_KEY when free, else `CUSTOM_<ID>`, then `_2`, `_3`... as an import moves one. Refusing because
 * SERVICE_KEY was another's refused a plain rotation over a variable the user never gave.
 */
export function freeEnvVar(id: string, owners: EnvVarOwners): string {
  const free = (name: string) => ENV_VAR_NAME.test(name) && !envVarProblem(name, id, owners);
  if (free(defaultEnvVar(id))) return defaultEnvVar(id);
  let got = customEnvVar(id);
  for (let n = 2; !free(got); n++) got = customEnvVar(id, n);
  return got;
}

/** The env var of a custom credential without one chosen: SERVICE_KEY. */
export function defaultEnvVar(id: string): string {
  return id.replace(/[.-]/g, '_').toUpperCase();
}

/** The env var each custom credential of `profile` carries (its own, else SERVICE_KEY, as exec gives it), to the credential's id. */
export function customEnvVars(profile: Pick<Profile, 'credential_metadata'> | undefined): Map<string, string> {
  // A plain loop: `set` builds this twice (before storing, and under the lock), ~10 ms at 10,000 credentials as entries.
  const out = new Map<string, string>();
  const metadata = profile?.credential_metadata ?? {};
  for (const id of Object.keys(metadata)) {
    const name = envVarOf(id, metadata[id]!);
    if (name) out.set(name, id);
  }
  return out;
}

/** The credentials of an index that carry each env var name (their own, else SERVICE_KEY): built once per index read. */
const carriersByName = new WeakMap<object, Map<string, string[]>>();

/**
 * The credentials of `metadata` carrying each env var name: by a name of their own (`env_var`), and a custom one
 * without one by its SERVICE_KEY, as {@link envVarOf} gives it. Built once per metadata object, so a list of 10,000
 * credentials a first version stored (none with a name of its own) asks 10,000 times in O(1), where a scan of the
 * others each time took 11 s.
 */
function carriersOf(metadata: Readonly<Record<string, { env_var?: string | undefined }>>): Map<string, string[]> {
  let carriers = carriersByName.get(metadata);
  if (!carriers) {
    carriers = new Map();
    for (const id in metadata) {
      const name = envVarOf(id, metadata[id]!);
      if (name === undefined) continue;
      const ids = carriers.get(name);
      if (ids) ids.push(id);
      else carriers.set(name, [id]);
    }
    carriersByName.set(metadata, carriers);
  }
  return carriers;
}

/**
 * The credentials of `metadata` other than `id` that carry env var `name`: by a name of their own, or by their
 * SERVICE_KEY (two custom credentials without one whose ids fold to the same name, `my-svc.api_key` and
 * `my_svc.api_key`, claim it both, and a stage got whichever exec set last).
 */
export function otherCarriers(metadata: Readonly<Record<string, { env_var?: string | undefined }>>, id: string, name: string): string[] {
  return (carriersOf(metadata).get(name) ?? []).filter((other) => other !== id);
}

/** Whether a credential other than `id` in `metadata` carries env var `name` (see {@link otherCarriers}). */
export function carriedByAnother(metadata: Readonly<Record<string, { env_var?: string | undefined }>>, id: string, name: string): boolean {
  const ids = carriersOf(metadata).get(name);
  return ids !== undefined && (ids.length > 1 || ids[0] !== id);
}

/**
 * The custom credentials of `metadata` other than `id` that name env var `name` as their own (`env_var`): a pair a
 * hand-edited profile, or two sets racing in an older version, left (`set --env-var` refuses a name another carries).
 */
export function otherOwners(metadata: Readonly<Record<string, { env_var?: string | undefined }>>, id: string, name: string): string[] {
  return otherCarriers(metadata, id, name).filter((other) => metadata[other]!.env_var === name && !catalogEntry(other));
}

/**
 * A custom credential whose env var other credentials carry too, so that it carries none: one without a name of its
 * own whose SERVICE_KEY is another's, or one naming as its own a name other custom ones name as theirs, or a catalog
 * credential's (a hand edit: `set` refuses it).
 */
export interface EnvVarClash {
  id: string;
  /** Its SERVICE_KEY, or (`own`) the name it names as its own. */
  name: string;
  /** The credentials that carry `name` too (a catalog one, or custom ones). */
  others: string[];
  /** True when `name` is its own (`env_var`), and the others' own too (or a catalog credential's, first in `others`). */
  own?: true;
}

/**
 * The clash of custom credential `id` of `metadata`: when it has no env var of its own and the SERVICE_KEY it would
 * take is another credential's too (a catalog one's, or custom ones' that fold to it), or when other custom
 * credentials name its own env var as theirs too; undefined otherwise (a reserved name carries nothing anyway).
 */
export function envVarClashIn(metadata: Readonly<Record<string, { env_var?: string | undefined }>>, id: string): EnvVarClash | undefined {
  if (catalogEntry(id)) return undefined;
  const own = Object.hasOwn(metadata, id) ? metadata[id]!.env_var : undefined;
  if (own !== undefined) {
    if (isReservedEnvVar(own)) return undefined;
    // A catalog credential's name (HF_TOKEN) stays the catalog one's: a hand edit cannot take it over.
    const owner = CATALOG_OWNER.get(own);
    const others = [...(owner !== undefined ? [owner] : []), ...otherOwners(metadata, id, own)];
    return others.length ? { id, name: own, others, own: true } : undefined;
  }
  const name = defaultEnvVar(id);
  if (isReservedEnvVar(name)) return undefined;
  const owner = CATALOG_OWNER.get(name);
  const others = owner !== undefined ? [owner] : otherCarriers(metadata, id, name);
  return others.length ? { id, name, others } : undefined;
}

/** What an {@link EnvVarClash} says to the user: both credentials, and what cpw-vault does about it. */
export function envVarClashText(c: EnvVarClash): string {
  const what = !c.own
    ? `${c.id} has no env var of its own, and ${c.name}, the one it would take, is ${c.others.join(' and ')}'s too`
    : catalogEntry(c.others[0]!)
      ? `${c.id} names ${c.name} as its own env var, and ${c.name} is ${c.others.join(' and ')}'s`
      : `${c.id} and ${c.others.join(' and ')} each name ${c.name} as their own env var`;
  return `${what}: so that neither value stands in for the other, get does not read ${c.name} for ${c.id} and exec --with refuses it.`;
}

/** The fix of an {@link EnvVarClash}: a name of its own. */
export function envVarClashFix(c: EnvVarClash): string {
  const { service, key } = splitCredentialId(c.id);
  return `Give it a name of its own (the value is asked again): cpw-vault set ${service} ${key} --env-var NAME`;
}

/** The env var credential `id` with metadata `meta` takes in {@link customEnvVars}: its own, else SERVICE_KEY for a custom one. */
export function envVarOf(id: string, meta: { env_var?: string | undefined }): string | undefined {
  return meta.env_var ?? (catalogEntry(id) ? undefined : defaultEnvVar(id));
}
