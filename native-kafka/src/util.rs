//! Configuration, handle creation and error text shared by the producer and the consumer.
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::os::raw::c_char;

use napi::{Error, Result, Status};

use crate::ffi::*;

/// A librdkafka handle shared by the JS object and its threads (librdkafka is thread-safe).
pub struct Handle(pub *mut rd_kafka_t);
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}

pub fn cstr(s: &str) -> Result<CString> {
  CString::new(s).map_err(|_| Error::new(Status::InvalidArg, format!("string contains a NUL byte: {s:?}")))
}

pub fn text(p: *const c_char) -> String {
  if p.is_null() {
    return String::new();
  }
  unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// "NAME (description)" of a librdkafka error code.
pub fn err_text(code: i32) -> String {
  unsafe { format!("{} ({})", text(rd_kafka_err2name(code)), text(rd_kafka_err2str(code))) }
}

pub fn kafka_error(context: &str, code: i32) -> Error {
  Error::new(Status::GenericFailure, format!("{context}: {}", err_text(code)))
}

/// Takes a `rd_kafka_error_t` (destroys it) and returns its message.
pub fn take_error(error: *mut rd_kafka_error_t) -> (i32, String) {
  unsafe {
    let code = rd_kafka_error_code(error);
    let message = format!("{} ({})", text(rd_kafka_err2name(code)), text(rd_kafka_error_string(error)));
    rd_kafka_error_destroy(error);
    (code, message)
  }
}

/// Builds a configuration: `extra` first, then `fixed` (the module's own settings win).
pub fn make_conf(extra: Option<&HashMap<String, String>>, fixed: &[(&str, String)]) -> Result<*mut rd_kafka_conf_t> {
  let conf = unsafe { rd_kafka_conf_new() };
  let mut errstr = [0 as c_char; 512];
  let entries = extra.into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())).chain(fixed.iter().map(|(k, v)| (*k, v.as_str())));
  for (key, value) in entries {
    let (k, v) = match (cstr(key), cstr(value)) {
      (Ok(k), Ok(v)) => (k, v),
      (Err(e), _) | (_, Err(e)) => {
        unsafe { rd_kafka_conf_destroy(conf) };
        return Err(e);
      }
    };
    if unsafe { rd_kafka_conf_set(conf, k.as_ptr(), v.as_ptr(), errstr.as_mut_ptr(), errstr.len()) } != 0 {
      unsafe { rd_kafka_conf_destroy(conf) };
      return Err(Error::new(Status::InvalidArg, format!("librdkafka config {key}={value}: {}", text(errstr.as_ptr()))));
    }
  }
  Ok(conf)
}

/// Creates the client; the configuration is consumed either way.
pub fn create(kind: std::os::raw::c_int, conf: *mut rd_kafka_conf_t) -> Result<*mut rd_kafka_t> {
  let mut errstr = [0 as c_char; 512];
  let rk = unsafe { rd_kafka_new(kind, conf, errstr.as_mut_ptr(), errstr.len()) };
  if rk.is_null() {
    unsafe { rd_kafka_conf_destroy(conf) };
    return Err(Error::new(Status::GenericFailure, format!("rd_kafka_new failed: {}", text(errstr.as_ptr()))));
  }
  Ok(rk)
}

/// librdkafka's fatal error (idempotence violations), if any.
pub fn fatal_error(rk: *mut rd_kafka_t) -> Option<String> {
  let mut errstr = [0 as c_char; 512];
  let code = unsafe { rd_kafka_fatal_error(rk, errstr.as_mut_ptr(), errstr.len()) };
  (code != ERR_NONE).then(|| format!("{}: {}", err_text(code), text(errstr.as_ptr())))
}

/// A partition list for one topic (destroyed on drop).
pub struct PartitionList(pub *mut rd_kafka_topic_partition_list_t);

impl PartitionList {
  pub fn new(topic: &CStr, partitions: &[i32], offsets: Option<&[i64]>) -> Self {
    let list = unsafe { rd_kafka_topic_partition_list_new(partitions.len().max(1) as i32) };
    for (i, p) in partitions.iter().enumerate() {
      let elem = unsafe { &mut *rd_kafka_topic_partition_list_add(list, topic.as_ptr(), *p) };
      if let Some(o) = offsets {
        elem.offset = o[i];
      }
    }
    PartitionList(list)
  }

  /// Partitions of `topic` in a list librdkafka handed us (sorted).
  pub fn partitions_of(list: *const rd_kafka_topic_partition_list_t, topic: &CStr) -> Vec<i32> {
    let mut out = Vec::new();
    if list.is_null() {
      return out;
    }
    let l = unsafe { &*list };
    for i in 0..l.cnt as usize {
      let e = unsafe { &*l.elems.add(i) };
      if !e.topic.is_null() && unsafe { CStr::from_ptr(e.topic) } == topic {
        out.push(e.partition);
      }
    }
    out.sort_unstable();
    out
  }
}

impl Drop for PartitionList {
  fn drop(&mut self) {
    unsafe { rd_kafka_topic_partition_list_destroy(self.0) };
  }
}

/// Runs `f` on a helper thread and waits at most `timeout_ms` for it (a hung librdkafka call,
/// e.g. close with the broker gone, must not hang the caller: the thread is then left behind).
pub fn bounded<T: Send + 'static>(timeout_ms: u32, what: &str, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
  let (tx, rx) = std::sync::mpsc::channel();
  std::thread::spawn(move || {
    let _ = tx.send(f());
  });
  rx.recv_timeout(std::time::Duration::from_millis(timeout_ms as u64))
    .map_err(|_| Error::new(Status::GenericFailure, format!("{what} did not finish within {timeout_ms} ms")))
}
