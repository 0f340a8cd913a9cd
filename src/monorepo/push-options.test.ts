import { describe, expect, it } from 'vitest';
import { MAX_MR_DESCRIPTION, parseMergeRequestOptions } from './push-options.js';

describe('merge request push options', () => {
  it('reads title, description, target and replace; ignores options of others', () => {
    expect(
      parseMergeRequestOptions([
        'mr.title=Fix the \u0000parser',
        'mr.description=Why:\tit broke',
        'mr.target=refs/heads/release/1.x',
        'mr.replace',
        'ci.skip',
      ]),
    ).toEqual({
      title: 'Fix the parser',
      description: 'Why:\tit broke',
      targetBranch: 'release/1.x',
      replace: true,
    });
    expect(parseMergeRequestOptions([])).toEqual({ replace: false });
    // Keys are case-insensitive, values are kept as given (a `=` inside a value too).
    expect(parseMergeRequestOptions(['MR.Title=a=b'])).toEqual({ title: 'a=b', replace: false });
  });

  it.each([
    [['mr.bogus=1'], /unknown push option mr\.bogus/],
    [['mr.'], /unknown push option mr\./],
    [['mr.title=a', 'mr.title=b'], /given twice/],
    [['mr.title'], /needs a value/],
    [['mr.title=\u0001\u0002 '], /1 to 255/],
    [[`mr.title=${'x'.repeat(256)}`], /1 to 255/],
    [[`mr.description=${'d'.repeat(MAX_MR_DESCRIPTION + 1)}`], /longer than/],
    [['mr.target='], /not a valid branch name/],
    [['mr.target=a..b'], /not a valid branch name/],
    [['mr.target=bad name'], /not a valid branch name/],
    [['mr.target=x.lock'], /not a valid branch name/],
    [['mr.replace=no'], /takes no value/],
    [[`mr.${'\u0000'.repeat(10)}=x`], /unknown push option mr\./],
  ])('refuses %j', (options, reason) => {
    expect(() => parseMergeRequestOptions(options)).toThrow(reason);
  });
});
