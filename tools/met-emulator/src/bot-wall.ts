import type { BotWall } from './schemas.js';

/** The emulated bot wall's settings and state. */
export interface BotWallState {
  /** The settings, or null when there is no wall. */
  wall: BotWall | null;
  /** Whether requests are being refused right now. */
  blocked: boolean;
  /** Until when (epoch milliseconds) requests are refused; 0 when not blocked. */
  blockedUntil: number;
  /** Requests counted in the current window. */
  recentRequests: number;
}

/** Controls the emulated bot wall (off until `set`). */
export interface BotWallController {
  /** Puts up a wall with these settings, forgetting any count and block. */
  set(wall: BotWall): void;
  /** Takes the wall down. */
  clear(): void;
  /** Its settings and state. */
  state(): BotWallState;
  /** Counts one API request; true when it must be refused with the bot wall's page. */
  refuse(): boolean;
}

/** Creates the bot wall; `now` is injectable for tests. */
export function createBotWall(initial: BotWall | undefined, now: () => number = Date.now): BotWallController {
  let wall: BotWall | null = initial ?? null;
  let arrivals: number[] = [];
  let blockedUntil = 0;

  const forgetBefore = (time: number) => {
    let first = 0;
    while (first < arrivals.length && (arrivals[first] as number) <= time) first++;
    if (first > 0) arrivals = arrivals.slice(first);
  };

  return {
    set(settings) {
      wall = { ...settings };
      arrivals = [];
      blockedUntil = 0;
    },
    clear() {
      wall = null;
      arrivals = [];
      blockedUntil = 0;
    },
    state() {
      const time = now();
      if (wall !== null) forgetBefore(time - wall.windowMs);
      const blocked = blockedUntil > time;
      return {
        wall: wall === null ? null : { ...wall },
        blocked,
        blockedUntil: blocked ? blockedUntil : 0,
        recentRequests: arrivals.length,
      };
    },
    refuse() {
      if (wall === null) return false;
      const time = now();
      // Requests refused during the cooldown do not prolong it: the wall comes down cooldownMs after it went up.
      if (blockedUntil > time) return true;
      forgetBefore(time - wall.windowMs);
      arrivals.push(time);
      if (arrivals.length <= wall.maxRequests) return false;
      blockedUntil = time + wall.cooldownMs;
      arrivals = [];
      return true;
    },
  };
}
