//! An input file read through memory-mapped windows, so the file source scans its lines where the
//! page cache holds them: no `read()` copy into a buffer first (about a tenth of the source's CPU).
//! Each window is a read-only `Buffer` over its mapping; the next window retires the one before.
//!
//! A file that shrinks while mapped turns a read of a page past its new end into SIGBUS. The
//! handler installed here makes that one line on stderr naming the file and the byte, then exit
//! status 1: the WAL holds every order published before, as after `kill -9`, and a run on the
//! restored file resumes exactly. A SIGBUS outside these windows goes to the handler that was there
//! before (the default: the process dies).

use std::cell::Cell;
use std::ffi::CString;
use std::rc::Rc;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::Once;

use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Windows that may be mapped at once in a process (one per file source at a time).
const MAX_WINDOWS: usize = 16;

/// A mapped window's address range, the file offset of its first byte and the message naming its
/// file, read by the signal handler (so only atomics, never a lock).
struct LiveWindow {
  start: AtomicUsize,
  end: AtomicUsize,
  file_offset: AtomicUsize,
  prefix: AtomicPtr<u8>,
  prefix_len: AtomicUsize,
}

#[allow(clippy::declare_interior_mutable_const)]
const FREE: LiveWindow = LiveWindow {
  start: AtomicUsize::new(0),
  end: AtomicUsize::new(0),
  file_offset: AtomicUsize::new(0),
  prefix: AtomicPtr::new(std::ptr::null_mut()),
  prefix_len: AtomicUsize::new(0),
};
static LIVE: [LiveWindow; MAX_WINDOWS] = [FREE; MAX_WINDOWS];
static INSTALL: Once = Once::new();
static mut PREVIOUS: std::mem::MaybeUninit<libc::sigaction> = std::mem::MaybeUninit::zeroed();

const SUFFIX: &[u8] = b" is gone: the file shrank while it was being read. Every order before it is journaled; restore the file and run again to resume\n";

/// Writes `value` in decimal to stderr (async-signal-safe: no allocation, no lock).
fn write_decimal(mut value: usize) {
  let mut digits = [0u8; 20];
  let mut at = digits.len();
  loop {
    at -= 1;
    digits[at] = b'0' + (value % 10) as u8;
    value /= 10;
    if value == 0 {
      break;
    }
  }
  write_stderr(&digits[at..]);
}

fn write_stderr(bytes: &[u8]) {
  unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
}

extern "C" fn on_sigbus(_signal: libc::c_int, info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
  let address = unsafe { (*info).si_addr() } as usize;
  for window in &LIVE {
    let start = window.start.load(Ordering::Acquire);
    if start == 0 || address < start || address >= window.end.load(Ordering::Acquire) {
      continue;
    }
    let prefix = window.prefix.load(Ordering::Acquire);
    let prefix_len = window.prefix_len.load(Ordering::Acquire);
    write_stderr(unsafe { std::slice::from_raw_parts(prefix, prefix_len) });
    write_decimal(window.file_offset.load(Ordering::Acquire) + (address - start));
    write_stderr(SUFFIX);
    unsafe { libc::_exit(1) };
  }
  // Not a window of ours: put the previous handler back; the faulting access repeats and meets it.
  unsafe { libc::sigaction(libc::SIGBUS, (*std::ptr::addr_of!(PREVIOUS)).as_ptr(), std::ptr::null_mut()) };
}

fn install_handler() {
  INSTALL.call_once(|| unsafe {
    let mut action: libc::sigaction = std::mem::zeroed();
    action.sa_sigaction = on_sigbus as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) as usize;
    action.sa_flags = libc::SA_SIGINFO;
    libc::sigemptyset(&mut action.sa_mask);
    libc::sigaction(libc::SIGBUS, &action, (*std::ptr::addr_of_mut!(PREVIOUS)).as_mut_ptr());
  });
}

fn os_error(what: &str, path: &str) -> Error {
  let err = std::io::Error::last_os_error();
  Error::new(Status::GenericFailure, format!("{what} {path}: {err}"))
}

/// A window's mapping, shared by the reader (which retires it) and its Buffer's finalizer (which
/// unmaps it): whichever comes second finds the other's work done.
struct Mapping {
  address: usize,
  length: usize,
  slot: usize,
  /// 0: the file is mapped; 1: retired (zero pages in its place); 2: unmapped.
  state: Cell<u8>,
}

impl Mapping {
  /// Swaps the file's pages for zero pages at the same addresses: a stale view reads zeros, never
  /// a file page that may no longer exist, and the page cache is let go at once.
  fn retire(&self) {
    if self.state.get() != 0 {
      return;
    }
    unsafe {
      libc::mmap(
        self.address as *mut libc::c_void,
        self.length,
        libc::PROT_READ,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
        -1,
        0,
      )
    };
    LIVE[self.slot].start.store(0, Ordering::Release);
    self.state.set(1);
  }

  fn unmap(&self) {
    if self.state.get() == 0 {
      LIVE[self.slot].start.store(0, Ordering::Release);
    }
    if self.state.get() != 2 {
      unsafe { libc::munmap(self.address as *mut libc::c_void, self.length) };
      self.state.set(2);
    }
  }
}

/// A file opened for mapped reading (see the module comment).
#[napi]
pub struct FileWindows {
  fd: i32,
  path: String,
  /// "[ringmatch] input file PATH: byte " for the signal handler (kept for the process's life).
  prefix: &'static [u8],
  current: Option<Rc<Mapping>>,
}

#[napi]
impl FileWindows {
  /// Opens `path`, a regular file (anything else: an error, and the caller reads it instead).
  #[napi(constructor)]
  pub fn new(path: String) -> Result<Self> {
    let c_path = CString::new(path.clone()).map_err(|_| Error::new(Status::InvalidArg, "a file name with a NUL byte".to_owned()))?;
    let fd = unsafe { libc::open(c_path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
      return Err(os_error("cannot open", &path));
    }
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut stat) } != 0 || (stat.st_mode & libc::S_IFMT) != libc::S_IFREG {
      unsafe { libc::close(fd) };
      return Err(Error::new(Status::InvalidArg, format!("{path} is not a regular file")));
    }
    install_handler();
    let prefix: &'static [u8] = Box::leak(format!("[ringmatch] input file {path}: byte ").into_bytes().into_boxed_slice());
    Ok(FileWindows { fd, path, prefix, current: None })
  }

  /// The file's size now (it may grow while it is read).
  #[napi]
  pub fn size(&self) -> Result<f64> {
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(self.fd, &mut stat) } != 0 {
      return Err(os_error("cannot stat", &self.path));
    }
    Ok(stat.st_size as f64)
  }

  /// Maps bytes [offset, offset + length) of the file (offset a multiple of the page size, length >
  /// 0) as a read-only Buffer, and retires the window before it.
  #[napi]
  pub fn map(&mut self, env: Env, offset: f64, length: f64) -> Result<BufferSlice<'static>> {
    if !(offset >= 0.0 && length >= 1.0 && offset.fract() == 0.0 && length.fract() == 0.0) {
      return Err(Error::new(Status::InvalidArg, format!("cannot map {length} bytes at {offset}")));
    }
    let (offset, length) = (offset as usize, length as usize);
    if let Some(previous) = self.current.take() {
      previous.retire();
    }
    // Claim a free entry (usize::MAX: taken, no range yet; the handler's range test skips it).
    let slot = LIVE
      .iter()
      .position(|w| w.start.compare_exchange(0, usize::MAX, Ordering::AcqRel, Ordering::Acquire).is_ok())
      .ok_or_else(|| Error::new(Status::GenericFailure, format!("more than {MAX_WINDOWS} file windows mapped at once")))?;
    let window = &LIVE[slot];
    let address = unsafe { libc::mmap(std::ptr::null_mut(), length, libc::PROT_READ, libc::MAP_SHARED, self.fd, offset as libc::off_t) };
    if address == libc::MAP_FAILED {
      window.start.store(0, Ordering::Release);
      return Err(os_error("cannot map", &self.path));
    }
    window.end.store(address as usize + length, Ordering::Release);
    window.file_offset.store(offset, Ordering::Release);
    window.prefix.store(self.prefix.as_ptr() as *mut u8, Ordering::Release);
    window.prefix_len.store(self.prefix.len(), Ordering::Release);
    window.start.store(address as usize, Ordering::Release);
    let mapping = Rc::new(Mapping { address: address as usize, length, slot, state: Cell::new(0) });
    self.current = Some(mapping.clone());
    let made = unsafe { BufferSlice::from_external(&env, address.cast(), length, mapping, |_, mapping: Rc<Mapping>| mapping.unmap()) };
    let buffer = match made {
      Ok(buffer) => buffer,
      Err(error) => {
        // No Buffer owns the mapping, so no finalizer will unmap it: do it now (a no-op if one ran).
        if let Some(current) = self.current.take() {
          current.unmap();
        }
        return Err(error);
      }
    };
    // The Buffer owns the mapping (its finalizer unmaps it), not a borrow of `env`.
    Ok(unsafe { std::mem::transmute::<BufferSlice<'_>, BufferSlice<'static>>(buffer) })
  }

  /// Retires the current window and closes the file (windows already handed out read zeros).
  #[napi]
  pub fn close(&mut self) {
    if let Some(current) = self.current.take() {
      current.retire();
    }
    if self.fd >= 0 {
      unsafe { libc::close(self.fd) };
      self.fd = -1;
    }
  }
}

impl Drop for FileWindows {
  fn drop(&mut self) {
    self.close();
  }
}
