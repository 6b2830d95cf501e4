import { describe, expect, it } from 'vitest';
import { envVarProblem } from '../../shared/core/env-var-names';

describe('env var names a custom credential may not take', () => {
  // Found by an outside pass: where a stage's SDKs send keys (as HF_ENDPOINT, already refused), the programs its media
  // libraries run, and files or descriptors tools read their credentials or traces from were accepted.
  it.each(['OPENAI_BASE_URL', 'OPENAI_API_BASE', 'ANTHROPIC_BASE_URL', 'HF_ENDPOINT', 'FFMPEG_BINARY', 'IMAGEIO_FFMPEG_EXE', 'FFPROBE_BINARY', 'GOOGLE_APPLICATION_CREDENTIALS', 'NETRC', 'CURL_HOME', 'WGETRC', 'BASH_XTRACEFD', 'XAUTHORITY', 'AWS_ENDPOINT_URL'])('%s is configuration, never a carrier', (name) => {
    expect(envVarProblem(name, 'mysvc.token')).toBe(`${name} is read as configuration by the system, a shell, a language runtime or a tool a stage runs; exec would put a secret there.`);
  });

  it("cpw-vault's own names are said to be its own, not the system's", () => {
    expect(envVarProblem('CPW_PROFILE', 'mysvc.token')).toBe("CPW_PROFILE is one of cpw-vault's own variables (exec sets them for stages); a secret cannot take it.");
  });

  it.each(['HF_DATASETS_TOKEN', 'DEEPL_API_KEY', 'MY_OPENAI_PROXY_KEY', 'FFMPEG_CLOUD_TOKEN'])('%s stays a name a credential may carry', (name) => {
    expect(envVarProblem(name, 'mysvc.token')).toBeUndefined();
  });
});
