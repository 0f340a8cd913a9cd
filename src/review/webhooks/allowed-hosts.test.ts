import { describe, expect, it } from 'vitest';
import { AllowedHosts } from './allowed-hosts.js';

describe('AllowedHosts', () => {
  it.each([
    // [rule, address, allowed]
    ['external', '93.184.216.34', true],
    ['external', '2606:2800:220:1::1', true],
    ['external', '127.0.0.1', false],
    ['external', '::1', false],
    ['external', '::ffff:127.0.0.1', false],
    ['external', '10.1.2.3', false],
    ['external', '172.20.0.1', false],
    ['external', '192.168.1.1', false],
    ['external', '169.254.169.254', false],
    ['external', '100.64.0.1', false],
    ['external', 'fd00::1', false],
    ['external', 'fe80::1', false],
    ['external', '0.0.0.0', false],
    ['external', '224.0.0.1', false],
    ['external', '255.255.255.255', false],
    ['loopback', '127.0.0.1', true],
    ['loopback', '10.0.0.1', false],
    ['loopback', '93.184.216.34', false],
    ['private', '10.0.0.1', true],
    ['private', '169.254.169.254', true],
    ['private', '127.0.0.1', false],
    ['external,10.9.0.0/16', '10.9.1.1', true],
    ['external,10.9.0.0/16', '10.8.1.1', false],
    ['10.0.0.5', '10.0.0.5', true],
    ['*', '127.0.0.1', true],
    ['', '93.184.216.34', false],
  ])('%s allows %s: %s', (rule, address, allowed) => {
    expect(new AllowedHosts(rule).allowsAddress(address)).toBe(allowed);
  });

  it('allows a listed host name whatever it resolves to, case and trailing dot aside', () => {
    const rule = new AllowedHosts('external, Hooks.Internal.Example');
    expect(rule.allowsName('hooks.internal.example.')).toBe(true);
    expect(rule.allowsName('other.example')).toBe(false);
  });

  it.each(['10.0.0.0/33', '10.0.0.0/x', 'not a host', 'fd00::/129', 'a_b'])(
    'refuses the rule "%s"',
    (rule) => {
      expect(() => new AllowedHosts(rule)).toThrow(
        expect.objectContaining({ code: 'webhook_allowed_hosts_invalid' }),
      );
    },
  );
});
