/**
 * Cache keys are namespaced and versioned so a change of document shape can move to `v2`
 * without flushing anything: `eventflow:v1:event:42`.
 */
export const CACHE_PREFIX = 'eventflow:v1:';

export type CachedResource = 'event' | 'organizer' | 'speaker' | 'participant';

export function resourceKey(resource: CachedResource, id: number): string {
  return `${CACHE_PREFIX}${resource}:${id}`;
}

export const eventKey = (id: number): string => resourceKey('event', id);
export const organizerKey = (id: number): string => resourceKey('organizer', id);
export const speakerKey = (id: number): string => resourceKey('speaker', id);
export const participantKey = (id: number): string => resourceKey('participant', id);

/** Statistics are cached briefly and dropped by any create or delete. */
export const STATISTICS_KEY = `${CACHE_PREFIX}statistics`;
