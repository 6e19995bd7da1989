/**
 * The "no record" value of a slot reference: the ends of a level's order list, the level of an
 * order that rests nowhere. Pools hand out slots >= 0.
 *
 * Hot modules copy it into a module-local `const NONE = NO_SLOT`: V8 folds a module's own
 * constants into optimized code, while an imported binding is loaded (and checked) at each use.
 */
export const NO_SLOT = -1;
