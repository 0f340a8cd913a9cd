import type { ReactNode } from 'react';

/** A column heading: its text, or a label only screen readers hear (e.g. an actions column). */
export type Column = string | { readonly hidden: string };

/**
 * The listing table of every page: headings scoped to their columns, and a box that scrolls
 * sideways on a phone instead of widening the page.
 */
export function Listing(props: {
  columns: readonly Column[];
  label?: string;
  testId?: string;
  children: ReactNode;
}) {
  return (
    <div className="table-scroll">
      <table className="listing" aria-label={props.label} data-testid={props.testId}>
        <thead>
          <tr>
            {props.columns.map((column) =>
              typeof column === 'string' ? (
                <th key={column} scope="col">
                  {column}
                </th>
              ) : (
                <th key={column.hidden} scope="col">
                  <span className="visually-hidden">{column.hidden}</span>
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}
