/** Small inline SVG icons (bundled; no icon font or emoji font needed). */
export type IconName = 'folder' | 'file' | 'repository' | 'symlink' | 'submodule';

const PATHS: Record<IconName, string> = {
  folder:
    'M1.75 2.5h4.19l1.5 1.5h6.81c.41 0 .75.34.75.75v8.5c0 .41-.34.75-.75.75H1.75a.75.75 0 0 1-.75-.75v-10c0-.41.34-.75.75-.75Z',
  file: 'M3.75 1h5.69L13 4.56v9.69c0 .41-.34.75-.75.75h-8.5a.75.75 0 0 1-.75-.75V1.75c0-.41.34-.75.75-.75ZM9 1.5V5h3.5',
  repository:
    'M2 2.5A1.5 1.5 0 0 1 3.5 1h9.75c.41 0 .75.34.75.75v11.5c0 .41-.34.75-.75.75H11v-1.5h1.5v-2h-9a.5.5 0 0 0 0 1H5V13H3.5A1.5 1.5 0 0 1 2 11.5v-9ZM6 12h4v3l-2-1.25L6 15v-3Z',
  symlink: 'M4 8h8M9 5l3 3-3 3M2 3v10',
  submodule: 'M2 4h12v9H2zM2 4l2-2h8l2 2M6 8h4',
};

export function Icon({ name }: { name: IconName }) {
  const outline = name === 'file' || name === 'symlink' || name === 'submodule';
  return (
    <svg
      className={`icon icon-${name}`}
      viewBox="0 0 16 16"
      width="16"
      height="16"
      aria-hidden="true"
      focusable="false"
      fill={outline ? 'none' : 'currentColor'}
      stroke={outline ? 'currentColor' : 'none'}
      strokeWidth={outline ? 1.3 : 0}
      strokeLinejoin="round"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
