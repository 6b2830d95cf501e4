import { readdirSync, readlinkSync } from 'node:fs';

/** Whether process `pid` holds a socket past its stdio (its connection to a peer: an agent, the bus), or is gone. */
export function connectedOrGone(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => Number(fd) > 2 && readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:'));
  } catch {
    return true;
  }
}
