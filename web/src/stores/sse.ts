// The state of the live link, shown to the user ("Live", "Reconnecting…"), and following a
// channel while keeping that state.
import { atom } from 'nanostores';
import { follow, type FollowOptions, type LinkState } from '../lib/sse';

export const link = atom<LinkState>('closed');

export function followLive(opts: Omit<FollowOptions, 'onState'>): () => void {
  return follow({ ...opts, onState: (s) => link.set(s) });
}
