//! The source position of the last command processed from each source stream (a Kafka partition,
//! the file's single stream): what a snapshot records as where each stream resumes. Kept here, as
//! the book reads each command anyway, so the matcher has no pass of its own over the slots.

/// Streams are 0..=i16::MAX; an entry of a stream not seen yet is NaN.
pub struct SourcePositions {
  last: Vec<f64>,
}

impl SourcePositions {
  pub fn new() -> SourcePositions {
    SourcePositions { last: Vec::new() }
  }

  /// Command of stream `stream` (negative: none) at `position` processed.
  #[inline(always)]
  pub fn note(&mut self, stream: i16, position: f64) {
    if stream < 0 {
      return;
    }
    let at = stream as usize;
    if at >= self.last.len() {
      self.last.resize(at + 1, f64::NAN);
    }
    self.last[at] = position;
  }

  /// Writes the entries of streams 0.. into `into` (as many as fit); returns how many streams there are.
  pub fn read_into(&self, into: &mut [f64]) -> usize {
    let n = self.last.len().min(into.len());
    into[..n].copy_from_slice(&self.last[..n]);
    self.last.len()
  }

  /// Forgets every stream (the book's state was replaced).
  pub fn clear(&mut self) {
    self.last.clear();
  }
}
