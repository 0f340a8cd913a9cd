import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** axe-core's browser bundle, read once. */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * The axe-core violations of the whole document, one line each (rule, help, offending nodes).
 * Every rule runs, `page-has-heading-one` included: issue 21 asks for one h1 per page.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's strict CSP refuses inline scripts, rightly.
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  const { passes, violations } = (await page.evaluate(
    'window.axe.run(document).then((result) => ({ passes: result.passes.length, violations: result.violations }))',
  )) as {
    passes: number;
    violations: Array<{ id: string; help: string; nodes: Array<{ target: string[] }> }>;
  };
  // A run that checked nothing would pass silently.
  if (passes === 0) throw new Error('axe-core checked no rule on the page');
  return violations.map(
    (violation) =>
      `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`,
  );
}

export interface Overflow {
  /** How far the document scrolls past the viewport sideways, in CSS pixels (0 when it fits). */
  readonly overflow: number;
  /** The innermost elements reaching past the viewport's right edge (at most 3), for messages. */
  readonly wide: readonly string[];
}

/** Whether the page is wider than its window; only boxes inside it (code, diffs) may scroll. */
export async function horizontalOverflow(page: Page): Promise<Overflow> {
  return (await page.evaluate(`(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('body *')]
      .filter((element) => element.getBoundingClientRect().right > width + 1)
      .filter((element) => ![...element.children].some((child) => child.getBoundingClientRect().right > width + 1))
      .slice(0, 3)
      .map((element) => element.tagName.toLowerCase() + (typeof element.className === 'string' && element.className ? '.' + element.className.split(' ').join('.') : ''));
    return { overflow: document.documentElement.scrollWidth - width, wide };
  })()`)) as Overflow;
}

/**
 * Collects what the page reports as wrong: console errors (failed loads included) and uncaught
 * exceptions, each with where it came from. The returned array fills as the page runs.
 */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  return problems;
}
