import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { apiUrl, useApi } from '../api';
import { navigate } from '../router';
import type { RefList } from '../types';
import './browse.css';

/** Options rendered at once; the filter narrows the rest (a list of 5000 refs stays instant). */
const MAX_SHOWN = 100;

/**
 * Branch and tag picker for any number of refs: a button opening a filter box over a list of
 * branches or tags. Type to filter, ↑/↓ to move, Enter to open, Escape to close (focus returns
 * to the button). Only the first `MAX_SHOWN` matches are rendered, so 300+ refs cost nothing.
 */
export function RefPicker({
  repo,
  revision,
  hrefFor,
  label = 'Revision',
}: {
  repo: string;
  revision: string;
  hrefFor: (name: string) => string;
  label?: string;
}) {
  const refs = useApi<RefList>(apiUrl('repos/refs', { repo }));
  const [open, setOpen] = useState(false);
  const [kind, setKind] = useState<'branch' | 'tag'>('branch');
  const [filter, setFilter] = useState('');
  const [active, setActive] = useState(0);
  const button = useRef<HTMLButtonElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  const data = refs.state === 'ready' ? refs.data : undefined;
  const current = revision === 'HEAD' ? (data?.defaultBranch ?? revision) : revision;
  const matches = useMemo(() => {
    const needle = filter.toLowerCase();
    return (data?.items ?? [])
      .filter((ref) => ref.kind === kind && ref.shortName.toLowerCase().includes(needle))
      .map((ref) => ref.shortName);
  }, [data, kind, filter]);
  const shown = matches.slice(0, MAX_SHOWN);

  useEffect(() => {
    if (!open) return;
    input.current?.focus();
    const outside = (event: MouseEvent) => {
      if (!box.current?.contains(event.target as Node) && !button.current?.contains(event.target as Node))
        setOpen(false);
    };
    document.addEventListener('mousedown', outside);
    return () => document.removeEventListener('mousedown', outside);
  }, [open]);
  useEffect(() => setActive(0), [filter, kind]);
  useEffect(() => {
    document.getElementById(`${id}-option-${active}`)?.scrollIntoView({ block: 'nearest' });
  }, [active, id]);

  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const choose = (name: string) => {
    setOpen(false);
    setFilter('');
    navigate(hrefFor(name));
  };
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown') setActive((value) => Math.min(value + 1, shown.length - 1));
    else if (event.key === 'ArrowUp') setActive((value) => Math.max(value - 1, 0));
    else if (event.key === 'Home') setActive(0);
    else if (event.key === 'End') setActive(Math.max(shown.length - 1, 0));
    else if (event.key === 'Enter' && shown[active] !== undefined) choose(shown[active]);
    else if (event.key === 'Escape') close();
    else return;
    event.preventDefault();
  };
  const display = /^[0-9a-f]{40}$/.test(current) ? current.slice(0, 10) : current;
  return (
    <div className="ref-picker">
      <button
        type="button"
        ref={button}
        aria-haspopup="listbox"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        data-testid="ref-picker"
      >
        <span className="muted">{label}:</span> <strong>{display}</strong> ▾
      </button>
      {open && (
        <div className="ref-picker-box" ref={box} role="dialog" aria-label="Choose a branch or tag">
          <input
            ref={input}
            type="search"
            role="combobox"
            aria-label="Filter branches and tags"
            aria-expanded="true"
            aria-controls={`${id}-list`}
            aria-activedescendant={shown.length > 0 ? `${id}-option-${active}` : undefined}
            placeholder={kind === 'branch' ? 'Filter branches…' : 'Filter tags…'}
            value={filter}
            onChange={(event) => setFilter(event.target.value)}
            onKeyDown={onKey}
          />
          <div className="ref-picker-kinds" role="group" aria-label="Kind">
            {(['branch', 'tag'] as const).map((value) => (
              <button
                key={value}
                type="button"
                aria-pressed={kind === value}
                onClick={() => {
                  setKind(value);
                  input.current?.focus();
                }}
              >
                {value === 'branch' ? 'Branches' : 'Tags'}
              </button>
            ))}
          </div>
          {refs.state === 'loading' && <p className="muted">Loading…</p>}
          <ul id={`${id}-list`} role="listbox" aria-label={kind === 'branch' ? 'Branches' : 'Tags'}>
            {shown.map((name, index) => (
              <li
                key={name}
                id={`${id}-option-${index}`}
                role="option"
                aria-selected={index === active}
                className={name === current ? 'current' : undefined}
                onMouseDown={(event) => event.preventDefault()}
                onClick={() => choose(name)}
                onMouseMove={() => setActive(index)}
              >
                {name === current ? '✓ ' : ''}
                {name}
              </li>
            ))}
          </ul>
          <p className="muted small" aria-live="polite">
            {matches.length === 0
              ? 'Nothing matches.'
              : matches.length > shown.length
                ? `${shown.length} of ${matches.length} shown: type to narrow.`
                : `${matches.length} ${kind === 'branch' ? 'branches' : 'tags'}`}
          </p>
        </div>
      )}
    </div>
  );
}
