/**
 * The preload: exposes `window.vault`, one named method per IPC channel of
 * the contract, and subscriptions to the contract's events. Nothing else —
 * never ipcRenderer itself, never a path resolver: a dropped File is turned
 * into its path here, in the isolated world, and main asks the user to
 * confirm it. Runs sandboxed (only `electron` can be required).
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { CHANNELS, EVENTS, type VaultBridge, type VaultEvent, type VaultMethod } from '../../shared/core/ipc-contract';

const bridge = {
  profileGet: () => ipcRenderer.invoke(CHANNELS.profileGet),
  profileUpdate: (update) => ipcRenderer.invoke(CHANNELS.profileUpdate, update),
  profileAvatar: () => ipcRenderer.invoke(CHANNELS.profileAvatar),
  profileFixPermissions: () => ipcRenderer.invoke(CHANNELS.profileFixPermissions),
  credentialsList: () => ipcRenderer.invoke(CHANNELS.credentialsList),
  credentialsSet: (request) => ipcRenderer.invoke(CHANNELS.credentialsSet, request),
  credentialsDelete: (ref) => ipcRenderer.invoke(CHANNELS.credentialsDelete, ref),
  credentialsReveal: (ref) => ipcRenderer.invoke(CHANNELS.credentialsReveal, ref),
  credentialsCopy: (ref) => ipcRenderer.invoke(CHANNELS.credentialsCopy, ref),
  workflowsValidate: () => ipcRenderer.invoke(CHANNELS.workflowsValidate),
  credentialsVerify: (request) => ipcRenderer.invoke(CHANNELS.credentialsVerify, request),
  migrationSources: () => ipcRenderer.invoke(CHANNELS.migrationSources),
  migrationPickFile: () => ipcRenderer.invoke(CHANNELS.migrationPickFile),
  // A File made by the page itself has no path (""), which main refuses.
  migrationDrop: (file) => ipcRenderer.invoke(CHANNELS.migrationDrop, webUtils.getPathForFile(file as File)),
  migrationPlan: (request) => ipcRenderer.invoke(CHANNELS.migrationPlan, request),
  migrationApply: (request) => ipcRenderer.invoke(CHANNELS.migrationApply, request),
  migrationRemovePlaintext: (request) => ipcRenderer.invoke(CHANNELS.migrationRemovePlaintext, request),
  runsList: (filter) => ipcRenderer.invoke(CHANNELS.runsList, filter),
  runsStats: () => ipcRenderer.invoke(CHANNELS.runsStats),
  auditList: (filter) => ipcRenderer.invoke(CHANNELS.auditList, filter),
  doctor: () => ipcRenderer.invoke(CHANNELS.doctor),
  securityStatus: () => ipcRenderer.invoke(CHANNELS.securityStatus),
  securityUnlock: (request) => ipcRenderer.invoke(CHANNELS.securityUnlock, request),
  securityLock: () => ipcRenderer.invoke(CHANNELS.securityLock),
  securityChangePassphrase: (request) => ipcRenderer.invoke(CHANNELS.securityChangePassphrase, request),
  securityUseBackend: (request) => ipcRenderer.invoke(CHANNELS.securityUseBackend, request),
  securityExport: (request) => ipcRenderer.invoke(CHANNELS.securityExport, request),
  securityImportPick: () => ipcRenderer.invoke(CHANNELS.securityImportPick),
  securityImportPlan: (request) => ipcRenderer.invoke(CHANNELS.securityImportPlan, request),
  securityImportApply: (request) => ipcRenderer.invoke(CHANNELS.securityImportApply, request),
  openExternal: (url) => ipcRenderer.invoke(CHANNELS.openExternal, url),
  on: (event, listener) => {
    if (!Object.hasOwn(EVENTS, event)) return () => {};
    const channel = EVENTS[event as VaultEvent];
    const handler = (_e: unknown, payload: unknown) => listener(payload as never);
    ipcRenderer.on(channel, handler);
    return () => void ipcRenderer.removeListener(channel, handler);
  },
} satisfies VaultBridge & Record<VaultMethod, unknown>;

contextBridge.exposeInMainWorld('vault', bridge);
