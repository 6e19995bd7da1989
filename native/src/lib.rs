//! ringmatch native WAL I/O: one `pwritev` of a batch's chunks followed by one `fdatasync`, run on a
//! libuv worker thread through napi-rs `AsyncTask` (no tokio). The JS thread frames the next batch
//! meanwhile. The chunks are `Uint8Array` views (possibly over a `SharedArrayBuffer`): napi-rs keeps
//! a reference to each view until the task settles, and the bytes are read in place (no copy).

use napi::bindgen_prelude::*;
use napi_derive::napi;

mod book;
mod command_lines;
mod file_windows;
mod json_command;
mod json_text;
mod key_guess;
mod line_shapes;
mod name_table;
mod output_json;
mod padded_line;
mod symbol_ids;

/// Most iovecs passed to one `pwritev` call (Linux IOV_MAX is 1024).
const MAX_IOV: usize = 1024;

pub struct WriteSyncTask {
  fd: i32,
  position: i64,
  chunks: Vec<Uint8Array>,
  fail_sync: bool,
  sync: bool,
}

fn os_error(context: &str, err: std::io::Error) -> Error {
  let code = err.raw_os_error().map(errno_name).unwrap_or("EIO");
  Error::new(Status::GenericFailure, format!("{code}: {context}: {err}"))
}

fn errno_name(code: i32) -> &'static str {
  match code {
    libc::EIO => "EIO",
    libc::ENOSPC => "ENOSPC",
    libc::EBADF => "EBADF",
    libc::EINVAL => "EINVAL",
    libc::EROFS => "EROFS",
    libc::EDQUOT => "EDQUOT",
    libc::EFBIG => "EFBIG",
    libc::EINTR => "EINTR",
    libc::ESPIPE => "ESPIPE",
    _ => "EIO",
  }
}

/// Writes every byte of `chunks` at `position` with as few `pwritev` calls as possible.
fn pwritev_all(fd: i32, mut position: i64, chunks: &[&[u8]]) -> std::io::Result<usize> {
  let mut iov: Vec<libc::iovec> = chunks
    .iter()
    .filter(|c| !c.is_empty())
    .map(|c| libc::iovec { iov_base: c.as_ptr() as *mut libc::c_void, iov_len: c.len() })
    .collect();
  let mut start = 0usize;
  let mut total = 0usize;
  while start < iov.len() {
    let count = (iov.len() - start).min(MAX_IOV);
    let n = unsafe { libc::pwritev(fd, iov[start..].as_ptr(), count as libc::c_int, position as libc::off_t) };
    if n < 0 {
      let err = std::io::Error::last_os_error();
      if err.kind() == std::io::ErrorKind::Interrupted {
        continue;
      }
      return Err(err);
    }
    if n == 0 {
      return Err(std::io::Error::new(std::io::ErrorKind::WriteZero, "pwritev wrote 0 bytes"));
    }
    let mut n = n as usize;
    total += n;
    position += n as i64;
    // Advance over fully written iovecs, then trim a partially written one.
    while n > 0 && start < iov.len() {
      if n >= iov[start].iov_len {
        n -= iov[start].iov_len;
        start += 1;
      } else {
        iov[start].iov_base = unsafe { (iov[start].iov_base as *mut u8).add(n) } as *mut libc::c_void;
        iov[start].iov_len -= n;
        n = 0;
      }
    }
  }
  Ok(total)
}

impl Task for WriteSyncTask {
  type Output = u32;
  type JsValue = u32;

  fn compute(&mut self) -> Result<Self::Output> {
    let slices: Vec<&[u8]> = self.chunks.iter().map(|c| c.as_ref()).collect();
    let written = pwritev_all(self.fd, self.position, &slices).map_err(|e| os_error("pwritev", e))?;
    if self.sync {
      if self.fail_sync {
        return Err(Error::new(Status::GenericFailure, "EIO: fdatasync: injected failure".to_owned()));
      }
      let rc = unsafe { libc::fdatasync(self.fd) };
      if rc != 0 {
        return Err(os_error("fdatasync", std::io::Error::last_os_error()));
      }
    }
    Ok(written as u32)
  }

  fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
    Ok(output)
  }
}

/// Writes `chunks` back to back at byte `position` of `fd` (one `pwritev`, repeated only for a
/// partial write), then `fdatasync(fd)`, on a libuv worker thread. Resolves with the bytes
/// written; rejects with an error whose message starts with the errno name (`EIO: fdatasync: ...`).
/// `failSync` (tests only) makes the sync step fail with EIO without calling `fdatasync`.
#[napi(ts_return_type = "Promise<number>")]
pub fn write_and_sync(fd: i32, position: i64, chunks: Vec<Uint8Array>, fail_sync: Option<bool>) -> Result<AsyncTask<WriteSyncTask>> {
  if position < 0 {
    return Err(Error::new(Status::InvalidArg, "position must be >= 0".to_owned()));
  }
  Ok(AsyncTask::new(WriteSyncTask { fd, position, chunks, fail_sync: fail_sync.unwrap_or(false), sync: true }))
}

/// Same as `writeAndSync` but without the `fdatasync` (used to preallocate segments off-thread).
#[napi(ts_return_type = "Promise<number>")]
pub fn write_only(fd: i32, position: i64, chunks: Vec<Uint8Array>) -> Result<AsyncTask<WriteSyncTask>> {
  if position < 0 {
    return Err(Error::new(Status::InvalidArg, "position must be >= 0".to_owned()));
  }
  Ok(AsyncTask::new(WriteSyncTask { fd, position, chunks, fail_sync: false, sync: false }))
}

/// Sum of the bytes of `view` (wrapping u32), read in place: lets tests check that a view over a
/// `SharedArrayBuffer` reaches native code with the shared bytes.
#[napi]
pub fn view_sum(view: Uint8Array) -> u32 {
  view.iter().fold(0u32, |acc, b| acc.wrapping_add(*b as u32))
}

/// Fills `view` with `value` in place (native writes, JS reads back through the shared memory).
#[napi]
pub fn view_fill(mut view: Uint8Array, value: u8) {
  unsafe { view.as_mut() }.fill(value);
}

/// Version of this native module and the napi crate major version.
#[napi]
pub fn native_info() -> String {
  format!("ringmatch-native {} (napi 3, AsyncTask pwritev+fdatasync)", env!("CARGO_PKG_VERSION"))
}

// ---------------------------------------------------------------------------------------------
// SyncWriter: a dedicated native thread that runs submitted batches back to back (FIFO). The JS
// thread submits batch N+1 while batch N syncs; the thread starts N+1's pwritev as soon as N's
// fdatasync returns, without a round trip through the JS event loop. Completions are reported
// through a (weak) threadsafe function as `(id, bytesWritten, error)`, error '' on success.
// After the first error the thread performs no more I/O: every later batch is reported failed.

use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use std::sync::mpsc;
use std::sync::Mutex;

struct SyncJob {
  id: u32,
  fd: i32,
  position: i64,
  chunks: Vec<Uint8Array>,
  fail_sync: bool,
}

enum Msg {
  Job(SyncJob),
  Stop,
}

type DoneArgs = FnArgs<(u32, f64, String)>;
type DoneFn = ThreadsafeFunction<DoneArgs, (), DoneArgs, Status, false, true>;

#[napi]
pub struct SyncWriter {
  tx: Mutex<Option<mpsc::Sender<Msg>>>,
  thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

fn run_job(job: &SyncJob) -> Result<usize> {
  let slices: Vec<&[u8]> = job.chunks.iter().map(|c| c.as_ref()).collect();
  let written = pwritev_all(job.fd, job.position, &slices).map_err(|e| os_error("pwritev", e))?;
  if job.fail_sync {
    return Err(Error::new(Status::GenericFailure, "EIO: fdatasync: injected failure".to_owned()));
  }
  if unsafe { libc::fdatasync(job.fd) } != 0 {
    return Err(os_error("fdatasync", std::io::Error::last_os_error()));
  }
  Ok(written)
}

#[napi]
impl SyncWriter {
  /// Starts the writer thread. `onDone(id, bytesWritten, error)` is called on the JS thread for each
  /// batch, in submission order; `error` is '' on success. The callback does not keep the event loop alive.
  #[napi(constructor, ts_args_type = "onDone: (id: number, bytesWritten: number, error: string) => void")]
  pub fn new(on_done: DoneFn) -> Result<Self> {
    let (tx, rx) = mpsc::channel::<Msg>();
    let thread = std::thread::Builder::new()
      .name("ringmatch-wal-sync".to_owned())
      .spawn(move || {
        let mut failed: Option<String> = None;
        while let Ok(Msg::Job(job)) = rx.recv() {
          let outcome = match &failed {
            Some(first) => Err(format!("EIO: writer stopped after an earlier error ({first})")),
            None => run_job(&job).map_err(|e| e.reason.clone()),
          };
          let id = job.id;
          drop(job); // releases the views (napi-rs hands the unref back to the JS thread)
          match outcome {
            Ok(n) => {
              on_done.call((id, n as f64, String::new()).into(), ThreadsafeFunctionCallMode::NonBlocking);
            }
            Err(message) => {
              if failed.is_none() {
                failed = Some(message.clone());
              }
              on_done.call((id, 0.0, message).into(), ThreadsafeFunctionCallMode::NonBlocking);
            }
          }
        }
      })
      .map_err(|e| Error::new(Status::GenericFailure, format!("cannot start the writer thread: {e}")))?;
    Ok(SyncWriter { tx: Mutex::new(Some(tx)), thread: Mutex::new(Some(thread)) })
  }

  /// Queues one batch: `chunks` written back to back at `position` of `fd` (pwritev), then fdatasync.
  #[napi]
  pub fn submit(&self, id: u32, fd: i32, position: i64, chunks: Vec<Uint8Array>, fail_sync: Option<bool>) -> Result<()> {
    if position < 0 {
      return Err(Error::new(Status::InvalidArg, "position must be >= 0".to_owned()));
    }
    let guard = self.tx.lock().map_err(|_| Error::new(Status::GenericFailure, "writer lock poisoned".to_owned()))?;
    let tx = guard.as_ref().ok_or_else(|| Error::new(Status::GenericFailure, "writer is closed".to_owned()))?;
    tx.send(Msg::Job(SyncJob { id, fd, position, chunks, fail_sync: fail_sync.unwrap_or(false) }))
      .map_err(|_| Error::new(Status::GenericFailure, "writer thread is gone".to_owned()))
  }

  /// Stops the thread after the batches already queued and waits for it (call when none is pending).
  #[napi]
  pub fn close(&self) {
    if let Ok(mut guard) = self.tx.lock() {
      if let Some(tx) = guard.take() {
        let _ = tx.send(Msg::Stop);
      }
    }
    if let Ok(mut guard) = self.thread.lock() {
      if let Some(handle) = guard.take() {
        let _ = handle.join();
      }
    }
  }
}
