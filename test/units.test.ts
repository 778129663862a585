import { afterEach, describe, expect, it } from 'vitest';
import { ValueError, formatSize, parseAgeCutoff, parseBool, parseBwLimit, parseDuration, parseSize } from '../src/lib/units.js';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('parseSize', () => {
  it.each([
    ['0', 0],
    ['10', 10 * KiB], // a bare number is KiB
    ['1.5', 1536],
    ['100b', 100],
    ['100B', 100],
    ['1K', KiB],
    ['1k', KiB],
    ['1Ki', KiB],
    ['1KiB', KiB],
    ['1KB', KiB],
    ['10M', 10 * MiB],
    ['10MiB', 10 * MiB],
    ['1.5M', 1.5 * MiB],
    ['0.5K', 512],
    ['.5M', 0.5 * MiB],
    ['2G', 2 * GiB],
    ['1.5Gi', 1.5 * GiB],
    ['1T', 1024 ** 4],
    [' 7 M ', 7 * MiB],
    ['off', -1],
    ['OFF', -1],
  ])('parses %j as %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it('honours a different default unit for bare numbers', () => {
    expect(parseSize('10', 'b')).toBe(10);
    expect(parseSize('3', 'm')).toBe(3 * MiB);
  });

  it.each(['', 'abc', '10X', '1.2.3', '-1', 'M', '10 MBx', '5iB', '1e3'])('rejects %j', (text) => {
    expect(() => parseSize(text)).toThrow(ValueError);
  });

  it('names the bad value in the error', () => {
    expect(() => parseSize('lots')).toThrow(/"lots"/);
  });
});

describe('formatSize', () => {
  it('formats like rclone stats', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(1023)).toBe('1023 B');
    expect(formatSize(1536 * KiB)).toBe('1.500 MiB');
    expect(formatSize(-1)).toBe('off');
  });
});

describe('parseDuration', () => {
  it.each([
    ['1h30m', 90 * 60_000],
    ['2d', 2 * 86_400_000],
    ['500ms', 500],
    ['90', 90_000], // a bare number is seconds
    ['1.5', 1500],
    ['1.5s', 1500],
    ['1.5h', 5_400_000],
    ['5m30s', 330_000],
    ['1w', 7 * 86_400_000],
    ['1M', 30 * 86_400_000],
    ['1y', 365 * 86_400_000],
    ['2000us', 2],
    ['1h1m1s1ms', 3_661_001],
    ['off', -1],
  ])('parses %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '3x', 'h', '1h30', '1h 30m', 'abc', '1..5s', '-'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(ValueError);
  });
});

describe('parseAgeCutoff', () => {
  const savedTz = process.env.TZ;
  afterEach(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  const now = Date.UTC(2024, 5, 15, 12, 0, 0);

  it('subtracts a duration from now', () => {
    expect(parseAgeCutoff('2d', now)).toBe(now - 2 * 86_400_000);
    expect(parseAgeCutoff('90', now)).toBe(now - 90_000);
    expect(parseAgeCutoff('1h30m', now)).toBe(now - 5_400_000);
  });

  it('accepts RFC 3339 times', () => {
    expect(parseAgeCutoff('2024-01-31T10:20:30Z', now)).toBe(Date.UTC(2024, 0, 31, 10, 20, 30));
    expect(parseAgeCutoff('2024-01-31T10:20:30+02:00', now)).toBe(Date.UTC(2024, 0, 31, 8, 20, 30));
  });

  it('reads dates and date-times without a zone in local time, like rclone', () => {
    process.env.TZ = 'Asia/Tokyo'; // UTC+9, no daylight saving
    expect(parseAgeCutoff('2024-01-31', now)).toBe(Date.UTC(2024, 0, 30, 15, 0, 0));
    expect(parseAgeCutoff('2024-01-31 10:00:00', now)).toBe(Date.UTC(2024, 0, 31, 1, 0, 0));
    expect(parseAgeCutoff('2024-01-31T10:00:00', now)).toBe(Date.UTC(2024, 0, 31, 1, 0, 0));
  });

  it.each(['2024-13-45', '2024-01-31 nonsense', 'yesterday', '3x'])('rejects %j', (text) => {
    expect(() => parseAgeCutoff(text, now)).toThrow(ValueError);
  });
});

describe('parseBwLimit', () => {
  it.each([
    ['10M', 10 * MiB],
    ['512K', 512 * KiB],
    ['100', 100 * KiB],
    ['1.5M', 1.5 * MiB],
    ['off', -1],
    ['', -1],
    ['0', -1],
  ])('parses %j as %d bytes/s', (text, rate) => {
    expect(parseBwLimit(text)).toBe(rate);
  });

  it.each(['abc', '10Q', '08:00,512k 12:00,off'])('rejects %j', (text) => {
    expect(() => parseBwLimit(text)).toThrow(ValueError);
  });

  it('mentions --bwlimit in its errors', () => {
    expect(() => parseBwLimit('abc')).toThrow(/--bwlimit "abc"/);
  });
});

describe('parseBool', () => {
  it.each(['true', 'TRUE', '1', 't', 'yes', 'y', 'on', ' True '])('%j is true', (text) => {
    expect(parseBool(text)).toBe(true);
  });
  it.each(['false', 'False', '0', 'f', 'no', 'n', 'off', ''])('%j is false', (text) => {
    expect(parseBool(text)).toBe(false);
  });
  it.each(['maybe', '2', 'yess'])('rejects %j', (text) => {
    expect(() => parseBool(text)).toThrow(ValueError);
  });
});
