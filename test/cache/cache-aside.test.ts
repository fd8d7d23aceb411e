import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CacheAside } from '../../src/cache/cache-aside.js';
import type { RemoteInvalidationListener } from '../../src/cache/cache.js';
import { MemoryCache } from '../../src/cache/memory-cache.js';
import { documentOf, Gate } from './cache-kit.js';

const test = suite('CacheAside and MemoryCache');

/** A MemoryCache that can be told about "another instance's" invalidations. */
class SharedMemoryCache extends MemoryCache {
  readonly listeners: RemoteInvalidationListener[] = [];

  onRemoteInvalidation(listener: RemoteInvalidationListener): void {
    this.listeners.push(listener);
  }
}

test('does not let a reader join a load that a remote invalidation detached', async () => {
  const cache = new SharedMemoryCache({ maxBytes: 1 << 20 });
  const aside = new CacheAside(cache);
  const hasLoaded = new Gate();
  const resume = new Gate();
  let version = 1;
  let loads = 0;
  const load = async () => {
    loads++;
    const seen = version;
    if (loads === 1) {
      hasLoaded.open();
      await resume.opened;
    }
    return { value: seen, document: documentOf('k', seen) };
  };

  const early = aside.read('k', 60, load);
  await hasLoaded.opened;
  // Another instance commits version 2 and its message arrives, as LayeredCache relays it.
  version = 2;
  cache.invalidateNow(['k']);
  for (const listener of cache.listeners) listener(['k']);
  const later = await aside.read('k', 60, load);
  resume.open();

  assert.is((await early).value, 1);
  assert.is(later.value, 2);
  assert.is(loads, 2);
  assert.is(cache.peek('k')?.etag, '"k-2"', 'the early fill was refused');
});

test('refuses a fill whose ticket was taken before a clear', async () => {
  const cache = new MemoryCache({ maxBytes: 1 << 20 });
  const ticket = cache.startFill('k');
  cache.clear();
  await cache.completeFill(ticket, documentOf('k', 1), 60);

  assert.is(cache.peek('k'), undefined);
  assert.is(cache.stats().droppedFills, 1);
});

test('prefers lookup to get and startFill when the cache offers it', async () => {
  const cache = new MemoryCache({ maxBytes: 1 << 20 });
  let lookups = 0;
  const withLookup = Object.assign(cache, {
    lookup: (key: string) => {
      lookups++;
      return Promise.resolve({ ticket: cache.startFill(key) });
    },
  });
  const aside = new CacheAside(withLookup);

  const read = await aside.read('k', 60, () =>
    Promise.resolve({ value: 1, document: documentOf('k', 1) }),
  );

  assert.is(read.outcome, 'miss');
  assert.is(lookups, 1);
  assert.is(cache.peek('k')?.etag, '"k-1"');
});

test('keeps the invalidations it remembers bounded while fills never stop overlapping', async () => {
  const cache = new MemoryCache({ maxBytes: 1 << 20 });
  // Two fills always in flight, each started before the previous one ends, while every
  // round also invalidates a key nobody reads again: the pending count never reaches zero.
  let older = cache.startFill('hot');
  for (let round = 0; round < 20_000; round++) {
    const newer = cache.startFill('hot');
    cache.invalidateNow([`written-${round}`]);
    await cache.completeFill(older, documentOf('hot', round), 60);
    older = newer;
  }

  assert.ok(cache.trackedInvalidations < 1024, `${cache.trackedInvalidations} remembered`);
  // Pruning must not forget an invalidation that a pending fill still has to respect.
  cache.invalidateNow(['hot']);
  await cache.completeFill(older, documentOf('hot', -1), 60);
  assert.is(cache.peek('hot'), undefined, 'the fill older than the invalidation was refused');
});

test('starts a fresh load instead of joining one older than the share limit', async () => {
  const aside = new CacheAside(new MemoryCache({ maxBytes: 1 << 20 }), { maxShareMs: 50 });
  const stuck = new Gate();
  let loads = 0;
  const load = async () => {
    const mine = ++loads;
    if (mine === 1) await stuck.opened;
    return { value: mine, document: documentOf('k', mine) };
  };

  const first = aside.read('k', 60, load);
  const joined = aside.read('k', 60, load);
  await new Promise((resolve) => setTimeout(resolve, 80));
  const late = await aside.read('k', 60, load);
  stuck.open();

  assert.is(late.value, 2, 'the late reader did not wait for the stuck load');
  assert.is((await joined).value, 1, 'an early reader shares the first load');
  assert.is((await first).value, 1);
  assert.is(loads, 2);
});

test.run();
