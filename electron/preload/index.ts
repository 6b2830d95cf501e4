/**
 * The preload: exposes `window.vault`, one named method per IPC channel of
 * the contract, and the profile-change event. Nothing else — never
 * ipcRenderer itself. Runs sandboxed (only `electron` can be required).
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { CHANNELS, EVENTS, type VaultBridge, type VaultMethod } from '../../shared/core/ipc-contract';

const bridge = {
  profileGet: () => ipcRenderer.invoke(CHANNELS.profileGet),
  profileUpdate: (update) => ipcRenderer.invoke(CHANNELS.profileUpdate, update),
  credentialsList: () => ipcRenderer.invoke(CHANNELS.credentialsList),
  credentialsSet: (request) => ipcRenderer.invoke(CHANNELS.credentialsSet, request),
  credentialsDelete: (ref) => ipcRenderer.invoke(CHANNELS.credentialsDelete, ref),
  credentialsReveal: (ref) => ipcRenderer.invoke(CHANNELS.credentialsReveal, ref),
  credentialsCopy: (ref) => ipcRenderer.invoke(CHANNELS.credentialsCopy, ref),
  workflowsValidate: () => ipcRenderer.invoke(CHANNELS.workflowsValidate),
  migrationPickFile: () => ipcRenderer.invoke(CHANNELS.migrationPickFile),
  migrationPlan: (request) => ipcRenderer.invoke(CHANNELS.migrationPlan, request),
  migrationApply: (request) => ipcRenderer.invoke(CHANNELS.migrationApply, request),
  runsList: (filter) => ipcRenderer.invoke(CHANNELS.runsList, filter),
  runsStats: () => ipcRenderer.invoke(CHANNELS.runsStats),
  auditList: (filter) => ipcRenderer.invoke(CHANNELS.auditList, filter),
  doctor: () => ipcRenderer.invoke(CHANNELS.doctor),
  openExternal: (url) => ipcRenderer.invoke(CHANNELS.openExternal, url),
  onProfileChanged: (listener) => {
    const handler = () => listener();
    ipcRenderer.on(EVENTS.profileChanged, handler);
    return () => ipcRenderer.removeListener(EVENTS.profileChanged, handler);
  },
  // Not IPC: resolves a dropped File to its path, so the Migration screen can plan it.
  pathForFile: (file) => webUtils.getPathForFile(file as File),
} satisfies VaultBridge & Record<VaultMethod, unknown>;

contextBridge.exposeInMainWorld('vault', bridge);
