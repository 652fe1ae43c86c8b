import { describe, expect, it } from 'vitest';
import { parseReplayArgs, UsageError } from '../../../src/replay/cli-args.js';

// `npm run replay` command lines: what is accepted, and what is refused with a message saying why.

describe('parseReplayArgs', () => {
  it('reads the three commands', () => {
    expect(parseReplayArgs(['--check'])).toEqual({ command: 'check' });
    expect(parseReplayArgs(['--repair', '--contract', '1234'])).toEqual({ command: 'repair', contract: '1234' });
    // 2026-03-01T10:00:00Z is 1772359200 s after the epoch (date -d 2026-03-01T10:00:00Z +%s).
    expect(
      parseReplayArgs(['--republish', '--from', '2026-03-01T10:00:00Z', '--to', '2026-03-01T11:00:00.000001+01:00']),
    ).toEqual({
      command: 'republish',
      from: 1_772_359_200_000_000n,
      to: 1_772_359_200_000_001n,
    });
    expect(parseReplayArgs(['-h'])).toEqual({ command: 'help' });
  });

  it.each([
    [[], 'exactly one of --check, --repair and --republish'],
    [['--check', '--repair'], 'exactly one of'],
    [['--check', 'extra'], 'Unexpected argument'],
    [['--check', '--all'], "Unknown option '--all'"],
    [['--check', '--contract'], "Option '--contract <value>' argument missing"],
    [['--check', '--contract', ''], '--contract needs a contract number'],
    [['--repair', '--from', '2026-03-01T10:00:00Z'], '--from and --to go with --republish'],
    [['--republish', '--from', '2026-03-01T10:00:00Z'], '--republish needs --from <instant> and --to <instant>'],
    [
      ['--republish', '--contract', '1', '--from', '2026-03-01T10:00:00Z', '--to', '2026-03-02T10:00:00Z'],
      '--contract goes with --check or --repair',
    ],
    [
      ['--republish', '--from', 'yesterday', '--to', '2026-03-02T10:00:00Z'],
      '--from: "yesterday" is not an ISO 8601 instant',
    ],
    [
      ['--republish', '--from', '2026-03-01T10:00:00Z', '--to', '2026-02-30T10:00:00Z'],
      '--to: "2026-02-30T10:00:00Z" is not an ISO 8601 instant',
    ],
    [['--republish', '--from', '2026-03-01T10:00:00Z', '--to', '2026-03-01T11:00:00+01:00'], 'must be before --to'],
  ])('refuses %j', (args, message) => {
    expect(() => parseReplayArgs(args)).toThrow(UsageError);
    expect(() => parseReplayArgs(args)).toThrow(message);
  });
});
