import { describe, expect, it } from 'vitest';
import { envVarClashFix, envVarClashIn, envVarClashText, envVarProblem } from '../../shared/core/env-var-names';

describe('env var names a custom credential may not take', () => {
  // Found by an outside pass: where a stage's SDKs send keys (as HF_ENDPOINT, already refused), the programs its media
  // libraries run, and files or descriptors tools read their credentials or traces from were accepted.
  it.each(['OPENAI_BASE_URL', 'OPENAI_API_BASE', 'ANTHROPIC_BASE_URL', 'HF_ENDPOINT', 'FFMPEG_BINARY', 'IMAGEIO_FFMPEG_EXE', 'FFPROBE_BINARY', 'GOOGLE_APPLICATION_CREDENTIALS', 'NETRC', 'CURL_HOME', 'WGETRC', 'BASH_XTRACEFD', 'XAUTHORITY', 'AWS_ENDPOINT_URL'])('%s is configuration, never a carrier', (name) => {
    expect(envVarProblem(name, 'mysvc.token')).toBe(`${name} is read as configuration by the system, a shell, a language runtime or a tool a stage runs; exec would put a secret there.`);
  });

  // Found by h233: a teammate's file (team pull keeps a name `set --env-var` accepts) gave a custom credential
  // TAR_OPTIONS = '--checkpoint=1 --checkpoint-action=exec=...', and `exec --with` it ran that command inside any tar the
  // stage ran; the other names run a command too, or load plugins (.so) from a path (a folder in the shared repository).
  it.each(['TAR_OPTIONS', 'ZIPOPT', 'MANOPT', 'RSYNC_RSH', 'RSYNC_CONNECT_PROG', 'CVS_RSH', 'SVN_SSH', 'RUSTC_WRAPPER', 'GIT_TEMPLATE_DIR', 'NODE_REPL_EXTERNAL_MODULE', 'MPLBACKEND', 'GST_PLUGIN_PATH', 'LIBVA_DRIVERS_PATH', 'VK_ICD_FILENAMES', 'HDF5_PLUGIN_PATH', 'QT_PLUGIN_PATH', 'GIO_EXTRA_MODULES', 'R_LIBS_USER'])('%s, which runs a command or loads code, is configuration too', (name) => {
    expect(envVarProblem(name, 'mysvc.token')).toBe(`${name} is read as configuration by the system, a shell, a language runtime or a tool a stage runs; exec would put a secret there.`);
  });

  // Found by h235: names that run a program (an editor, a diff, a compiler or linker named in options) or code at a
  // runtime's start were still accepted, so a teammate's file could set them as h233's TAR_OPTIONS did.
  it.each(['GIT_SEQUENCE_EDITOR', 'KUBE_EDITOR', 'KUBECTL_EXTERNAL_DIFF', 'FCEDIT', 'LUA_INIT', 'PERL5DB', 'DOTNET_STARTUP_HOOKS', 'CORECLR_PROFILER_PATH', 'PHPRC', 'IPYTHONDIR', 'GTK_MODULES', 'GOFLAGS', 'RUSTC', 'RUSTFLAGS', 'JAVA_OPTS', 'GRADLE_OPTS'])('%s, which runs a program or code it names, is configuration too', (name) => {
    expect(envVarProblem(name, 'mysvc.token')).toBe(`${name} is read as configuration by the system, a shell, a language runtime or a tool a stage runs; exec would put a secret there.`);
  });

  it("cpw-vault's own names are said to be its own, not the system's", () => {
    expect(envVarProblem('CPW_PROFILE', 'mysvc.token')).toBe("CPW_PROFILE is one of cpw-vault's own variables (exec sets them for stages); a secret cannot take it.");
  });

  it.each(['HF_DATASETS_TOKEN', 'DEEPL_API_KEY', 'MY_OPENAI_PROXY_KEY', 'FFMPEG_CLOUD_TOKEN'])('%s stays a name a credential may carry', (name) => {
    expect(envVarProblem(name, 'mysvc.token')).toBeUndefined();
  });
});

describe('envVarClashIn', () => {
  const metadata = { 'deepl.api-key': {}, 'deepl.api_key': {}, 'solo.key': {}, 'named.key': { env_var: 'TAKEN_KEY' }, 'taken.key': {}, 'hf.token': {} };

  it('names the credentials that fold to the same SERVICE_KEY, each from its side', () => {
    expect(envVarClashIn(metadata, 'deepl.api-key')).toEqual({ id: 'deepl.api-key', name: 'DEEPL_API_KEY', others: ['deepl.api_key'] });
    expect(envVarClashIn(metadata, 'deepl.api_key')).toEqual({ id: 'deepl.api_key', name: 'DEEPL_API_KEY', others: ['deepl.api-key'] });
    expect(envVarClashText(envVarClashIn(metadata, 'deepl.api_key')!)).toContain("DEEPL_API_KEY, the one it would take, is deepl.api-key's too");
    expect(envVarClashFix(envVarClashIn(metadata, 'deepl.api_key')!)).toBe('Give it a name of its own (the value is asked again): cpw-vault set deepl api_key --env-var NAME');
  });

  it('names the credential whose own name (or the catalog credential whose name) it would take, and none for one alone or named', () => {
    expect(envVarClashIn(metadata, 'taken.key')?.others).toEqual(['named.key']);
    expect(envVarClashIn(metadata, 'hf.token')?.others).toEqual(['huggingface.token']);
    expect(envVarClashIn(metadata, 'solo.key')).toBeUndefined();
    expect(envVarClashIn(metadata, 'named.key')).toBeUndefined();
    expect(envVarClashIn(metadata, 'huggingface.token')).toBeUndefined();
  });
});
