/** Row types of the table created by `migrations/0016-clone-walk-tips.ts`. */
export interface CloneWalkTipsTable {
  /** The recorded walk (`clone_walks.id`) whose positions the bitmap numbers. */
  walk_id: number;
  /** The ref tip (any object id a ref named when the walk was recorded). */
  tip: string;
  /** Which of the walk's entries the tip reaches (`tip-bitmap.ts`). */
  data: Buffer;
}

export interface CloneWalkTipTables {
  clone_walk_tips: CloneWalkTipsTable;
}
