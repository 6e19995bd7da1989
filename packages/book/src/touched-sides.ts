// Which sides of a book a command changed, recorded by the level pool while the depth stream is
// on: the depth tracker re-reads only those sides' top N at the end of a batch, instead of every
// book's. A bit per side (1 << Side), set on any change of a level's quantity or order count.

export class TouchedSides {
  mask = 0;

  add(side: number): void {
    this.mask |= 1 << side;
  }
}
