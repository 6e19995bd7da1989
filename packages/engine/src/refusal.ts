// A command that will not go on, for a reason an operator can act on: the CLI prints its one-line
// message (file, sequence, way out) and exits with its code, without a stack trace.
//   exit 2: the operator asked for something the engine will not do (a busy or foreign data dir);
//   exit 1: the data dir is damaged in a way the engine cannot recover exactly.
export class Refusal extends Error {
  override readonly name = 'Refusal';
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}
