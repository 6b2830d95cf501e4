// electron-builder afterPack hook: flips the Electron fuses of the packed app
// before it is signed and wrapped (AppImage, deb, dmg, nsis).
const path = require('node:path');
const { flipFuses, FuseVersion, FuseV1Options } = require('@electron/fuses');

/** The fuses cpw-vault ships with. */
const FUSES = {
  version: FuseVersion.V1,
  // No ELECTRON_RUN_AS_NODE: the app binary can never be used as a plain Node to read the keychain.
  [FuseV1Options.RunAsNode]: false,
  // NODE_OPTIONS and --inspect could inject code into the main process.
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // Only the signed app.asar is ever loaded, never a loose app folder beside it.
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  // ... and that asar is checked against the hash electron-builder embeds at build time (macOS, Windows):
  // a modified app.asar refuses to load.
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  // file:// pages get no special powers (fetch, service workers, ...): the app serves itself from app://.
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
};

/** The Electron binary inside the packed app folder, per platform. */
function electronBinary(context) {
  const name = context.packager.appInfo.productFilename;
  switch (context.electronPlatformName) {
    case 'darwin':
    case 'mas':
      return path.join(context.appOutDir, `${name}.app`);
    case 'win32':
      return path.join(context.appOutDir, `${name}.exe`);
    default:
      return path.join(context.appOutDir, context.packager.executableName);
  }
}

async function afterPack(context) {
  await flipFuses(electronBinary(context), { ...FUSES, resetAdHocDarwinSignature: context.electronPlatformName === 'darwin' && context.arch === 3 /* arm64 */ });
}

module.exports = afterPack;
module.exports.default = afterPack;
module.exports.FUSES = FUSES;
module.exports.electronBinary = electronBinary;
