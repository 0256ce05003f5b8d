import { describe, expect, it } from 'vitest';
import { createBotWall } from '../../src/bot-wall.js';
import { parseBotWall, readCliConfig } from '../../src/config.js';

function clock(start = 1_000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

describe('createBotWall', () => {
  it('lets maxRequests through within the window, refuses the next one and every one for the cooldown', () => {
    // Given a wall of 3 requests in 1 s with a 5 s cooldown
    const time = clock();
    const wall = createBotWall({ maxRequests: 3, windowMs: 1000, cooldownMs: 5000 }, time.now);

    // When five requests arrive at once, then one 4.9 s later and one 5 s later
    const burst = Array.from({ length: 5 }, () => wall.refuse());
    time.advance(4900);
    const during = wall.refuse();
    time.advance(100);
    const after = wall.refuse();

    // Then the fourth went up the wall, which came down after the cooldown (not prolonged by refused requests)
    expect(burst).toEqual([false, false, false, true, true]);
    expect(during).toBe(true);
    expect(after).toBe(false);
  });

  it('forgets requests older than the window', () => {
    // Given
    const time = clock();
    const wall = createBotWall({ maxRequests: 2, windowMs: 100, cooldownMs: 1000 }, time.now);

    // When requests arrive 60 ms apart: never more than 2 within 100 ms
    const refused = Array.from({ length: 10 }, () => {
      time.advance(60);
      return wall.refuse();
    });

    // Then none is refused
    expect(refused.every((value) => !value)).toBe(true);
    expect(wall.state()).toMatchObject({ blocked: false, recentRequests: 2 });
  });

  it('reports its state, and lets everything through once cleared or never set', () => {
    // Given
    const time = clock();
    const wall = createBotWall(undefined, time.now);
    expect(wall.refuse()).toBe(false);
    wall.set({ maxRequests: 1, windowMs: 1000, cooldownMs: 500 });

    // When
    wall.refuse();
    wall.refuse();
    const blocked = wall.state();
    wall.clear();

    // Then
    expect(blocked).toEqual({
      wall: { maxRequests: 1, windowMs: 1000, cooldownMs: 500 },
      blocked: true,
      blockedUntil: 1500,
      recentRequests: 0,
    });
    expect(wall.state()).toEqual({ wall: null, blocked: false, blockedUntil: 0, recentRequests: 0 });
    expect(wall.refuse()).toBe(false);
  });
});

describe('bot wall configuration', () => {
  it('reads MET_EMULATOR_BOT_WALL, and lets --bot-wall win', () => {
    // When
    const fromEnv = readCliConfig([], {
      MET_EMULATOR_BOT_WALL: '{"maxRequests":30,"windowMs":10000,"cooldownMs":60000}',
    });
    const fromFlag = readCliConfig(['--bot-wall', '{"maxRequests":5,"windowMs":1000,"cooldownMs":0}'], {
      MET_EMULATOR_BOT_WALL: '{"maxRequests":30,"windowMs":10000,"cooldownMs":60000}',
    });

    // Then
    expect(fromEnv.botWall).toEqual({ maxRequests: 30, windowMs: 10000, cooldownMs: 60000 });
    expect(fromFlag.botWall).toEqual({ maxRequests: 5, windowMs: 1000, cooldownMs: 0 });
    expect(readCliConfig([], {}).botWall).toBeUndefined();
  });

  it('names the source and the field of a bad bot wall', () => {
    expect(() => parseBotWall('{', 'MET_EMULATOR_BOT_WALL')).toThrow(/MET_EMULATOR_BOT_WALL is not valid JSON/);
    expect(() => parseBotWall('{"maxRequests":0,"windowMs":1,"cooldownMs":1}', '--bot-wall')).toThrow(
      /--bot-wall is not a valid bot wall: maxRequests:/,
    );
  });
});
