//! Consumer-group member whose offsets the caller owns. `poll` runs on the libuv pool and copies
//! up to `maxMessages` messages into one caller buffer, each as
//! `[u32 partition][f64 offset][f64 timestamp ms][i32 keyLen][i32 valueLen][key][value]`
//! (little endian, 28-byte header, -1 length = null). Rebalances are handed to JS: on "assign"
//! librdkafka waits (nothing is fetched) until JS calls `assign(partitions, offsets)` with the
//! start offsets it read from its WAL; on "revoke" the assignment is dropped at once.
use std::collections::{HashMap, VecDeque};
use std::ffi::CString;
use std::os::raw::c_void;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::ffi::*;
use crate::util::*;

/// Bytes of a record header in the poll buffer.
pub const RECORD_HEADER: usize = 28;

#[napi(object)]
pub struct ConsumerOptions {
  pub brokers: String,
  pub group_id: String,
  pub topic: String,
  pub client_id: String,
  /// session.timeout.ms (default 10 s); heartbeat.interval.ms is a third of it, at most 1 s.
  pub session_timeout_ms: Option<u32>,
  /// max.partition.fetch.bytes (default 1 MiB).
  pub max_bytes_per_partition: Option<u32>,
  /// fetch.wait.max.ms, the broker long-poll wait (default 100 ms).
  pub max_wait_time_ms: Option<u32>,
  /// Other librdkafka properties (applied first: the settings above win).
  pub config: Option<HashMap<String, String>>,
}

/// A rebalance (or consumer error) for JS: kind "assign" | "revoke" | "error".
#[napi(object)]
#[derive(Clone)]
pub struct ConsumerEvent {
  pub kind: String,
  pub partitions: Vec<i32>,
  pub message: Option<String>,
}

struct Stashed(*mut rd_kafka_message_t);
unsafe impl Send for Stashed {}

impl Drop for Stashed {
  fn drop(&mut self) {
    unsafe { rd_kafka_message_destroy(self.0) };
  }
}

/// State shared with the rebalance callback and the poll task.
struct Shared {
  topic: CString,
  events: Mutex<VecDeque<ConsumerEvent>>,
  has_events: AtomicBool,
  /// A message fetched that did not fit the caller's buffer: the first of the next poll.
  stash: Mutex<Option<Stashed>>,
  busy: AtomicBool,
  closed: AtomicBool,
}

impl Shared {
  fn push(&self, kind: &str, partitions: Vec<i32>, message: Option<String>) {
    self.events.lock().unwrap().push_back(ConsumerEvent { kind: kind.into(), partitions, message });
    self.has_events.store(true, Ordering::Release);
  }
}

struct Inner {
  rk: Handle,
  shared: Arc<Shared>,
}

unsafe extern "C" fn on_rebalance(rk: *mut rd_kafka_t, err: i32, list: *mut rd_kafka_topic_partition_list_t, opaque: *mut c_void) {
  let shared = &*(opaque as *const Shared);
  let partitions = PartitionList::partitions_of(list, &shared.topic);
  if err == ERR_ASSIGN {
    shared.push("assign", partitions, None); // JS assigns with its offsets
  } else {
    rd_kafka_assign(rk, std::ptr::null());
    shared.stash.lock().unwrap().take();
    let message = (err != ERR_REVOKE).then(|| format!("rebalance failed: {}", err_text(err)));
    shared.push(if err == ERR_REVOKE { "revoke" } else { "error" }, partitions, message);
  }
  rd_kafka_yield(rk); // return to the caller now
}

#[napi]
pub struct NativeConsumer {
  inner: Arc<Inner>,
}

fn closed_error() -> Error {
  Error::new(Status::GenericFailure, "NativeConsumer is closed")
}

#[napi]
impl NativeConsumer {
  /// Creates the member and subscribes to `topic` (the group is joined by the first polls).
  #[napi(constructor)]
  pub fn new(options: ConsumerOptions) -> Result<Self> {
    let session = options.session_timeout_ms.unwrap_or(10_000);
    let fixed = [
      ("bootstrap.servers", options.brokers.clone()),
      ("group.id", options.group_id.clone()),
      ("client.id", options.client_id.clone()),
      ("enable.auto.commit", "false".into()),
      ("enable.auto.offset.store", "false".into()),
      ("auto.offset.reset", "earliest".into()),
      ("enable.partition.eof", "false".into()),
      ("partition.assignment.strategy", "range,roundrobin".into()),
      ("allow.auto.create.topics", "false".into()),
      ("session.timeout.ms", session.to_string()),
      ("heartbeat.interval.ms", (session / 3).clamp(100, 1000).to_string()),
      ("max.partition.fetch.bytes", options.max_bytes_per_partition.unwrap_or(1 << 20).to_string()),
      ("fetch.wait.max.ms", options.max_wait_time_ms.unwrap_or(100).to_string()),
    ];
    let shared = Arc::new(Shared {
      topic: cstr(&options.topic)?,
      events: Mutex::new(VecDeque::new()),
      has_events: AtomicBool::new(false),
      stash: Mutex::new(None),
      busy: AtomicBool::new(false),
      closed: AtomicBool::new(false),
    });
    let conf = make_conf(options.config.as_ref(), &fixed)?;
    unsafe {
      rd_kafka_conf_set_rebalance_cb(conf, Some(on_rebalance));
      rd_kafka_conf_set_opaque(conf, Arc::as_ptr(&shared) as *mut c_void);
    }
    let rk = create(CONSUMER, conf)?;
    let inner = Arc::new(Inner { rk: Handle(rk), shared });
    unsafe { rd_kafka_poll_set_consumer(rk) };
    let list = PartitionList::new(&inner.shared.topic, &[-1], None);
    let code = unsafe { rd_kafka_subscribe(rk, list.0) };
    if code != ERR_NONE {
      return Err(kafka_error(&format!("subscribe({})", options.topic), code));
    }
    Ok(NativeConsumer { inner })
  }

  /// Fetches up to `maxMessages` messages into `into` (layout above); resolves their count, 0
  /// after `timeoutMs` without any, or early when `hasEvents` (a rebalance) is set.
  #[napi(ts_return_type = "Promise<number>")]
  pub fn poll(&self, into: Uint8Array, max_messages: u32, timeout_ms: u32) -> Result<AsyncTask<PollTask>> {
    if self.inner.shared.closed.load(Ordering::Acquire) {
      return Err(closed_error());
    }
    if self.inner.shared.busy.swap(true, Ordering::AcqRel) {
      return Err(Error::new(Status::GenericFailure, "NativeConsumer.poll: a poll is already running"));
    }
    Ok(AsyncTask::new(PollTask { inner: self.inner.clone(), into, max: max_messages as usize, timeout_ms }))
  }

  /// True when rebalance events wait in `takeEvents()`.
  #[napi(getter)]
  pub fn has_events(&self) -> bool {
    self.inner.shared.has_events.load(Ordering::Acquire)
  }

  /// The pending rebalance / error events, oldest first.
  #[napi]
  pub fn take_events(&self) -> Vec<ConsumerEvent> {
    let mut events = self.inner.shared.events.lock().unwrap();
    self.inner.shared.has_events.store(false, Ordering::Release);
    events.drain(..).collect()
  }

  /// Sets the assignment (after an "assign" event: all its partitions) starting at `offsets[i]`
  /// (null: earliest).
  #[napi]
  pub fn assign(&self, partitions: Vec<i32>, offsets: Vec<Option<f64>>) -> Result<()> {
    self.open()?;
    if partitions.len() != offsets.len() {
      return Err(Error::new(Status::InvalidArg, format!("assign: {} partitions, {} offsets", partitions.len(), offsets.len())));
    }
    let offs: Vec<i64> = offsets.iter().map(|o| o.map_or(RD_KAFKA_OFFSET_BEGINNING as i64, |v| v as i64)).collect();
    if let Some(bad) = offsets.iter().flatten().find(|v| !(v.fract() == 0.0 && **v >= 0.0 && **v <= 9_007_199_254_740_991.0)) {
      return Err(Error::new(Status::InvalidArg, format!("assign: offset {bad} is not an integer >= 0")));
    }
    let list = PartitionList::new(&self.inner.shared.topic, &partitions, Some(&offs));
    let code = unsafe { rd_kafka_assign(self.inner.rk.0, list.0) };
    if code != ERR_NONE {
      return Err(kafka_error("assign", code));
    }
    Ok(())
  }

  /// Stops fetching `partitions` (a message of theirs held back by the last poll is re-fetched).
  #[napi]
  pub fn pause(&self, partitions: Vec<i32>) -> Result<()> {
    self.open()?;
    let list = PartitionList::new(&self.inner.shared.topic, &partitions, None);
    let code = unsafe { rd_kafka_pause_partitions(self.inner.rk.0, list.0) };
    if code != ERR_NONE {
      return Err(kafka_error("pause", code));
    }
    let stashed = self.inner.shared.stash.lock().unwrap().take();
    if let Some(s) = stashed {
      let m = unsafe { &*s.0 };
      if partitions.contains(&m.partition) {
        return self.seek(m.partition, m.offset as f64);
      }
      *self.inner.shared.stash.lock().unwrap() = Some(s);
    }
    Ok(())
  }

  #[napi]
  pub fn resume(&self, partitions: Vec<i32>) -> Result<()> {
    self.open()?;
    let list = PartitionList::new(&self.inner.shared.topic, &partitions, None);
    let code = unsafe { rd_kafka_resume_partitions(self.inner.rk.0, list.0) };
    if code != ERR_NONE {
      return Err(kafka_error("resume", code));
    }
    Ok(())
  }

  /// Next offset to fetch for an assigned partition (asynchronous in librdkafka).
  #[napi]
  pub fn seek(&self, partition: i32, offset: f64) -> Result<()> {
    self.open()?;
    let list = PartitionList::new(&self.inner.shared.topic, &[partition], Some(&[offset as i64]));
    let error = unsafe { rd_kafka_seek_partitions(self.inner.rk.0, list.0, 0) };
    if !error.is_null() {
      let (_, message) = take_error(error);
      return Err(Error::new(Status::GenericFailure, format!("seek({partition}, {offset}): {message}")));
    }
    let l = unsafe { &*list.0 };
    let code = code_of(unsafe { &(*l.elems).err });
    if code != ERR_NONE {
      return Err(kafka_error(&format!("seek({partition}, {offset})"), code));
    }
    Ok(())
  }

  /// [low, high] watermarks of a partition as of the last fetch (no request; -1001 = unknown).
  #[napi]
  pub fn watermarks(&self, partition: i32) -> Result<Vec<f64>> {
    self.open()?;
    let (mut low, mut high) = (-1001i64, -1001i64);
    unsafe { rd_kafka_get_watermark_offsets(self.inner.rk.0, self.inner.shared.topic.as_ptr(), partition, &mut low, &mut high) };
    Ok(vec![low as f64, high as f64])
  }

  /// Leaves the group and destroys the client; rejects if that takes over `timeoutMs`.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn close(&self, timeout_ms: u32) -> AsyncTask<CloseTask> {
    let first = !self.inner.shared.closed.swap(true, Ordering::AcqRel);
    AsyncTask::new(CloseTask { inner: first.then(|| self.inner.clone()), timeout_ms })
  }
}

impl Drop for NativeConsumer {
  fn drop(&mut self) {
    // never closed: leave the group and destroy on a helper thread (not on the JS thread)
    if !self.inner.shared.closed.swap(true, Ordering::AcqRel) {
      let mut task = CloseTask { inner: Some(self.inner.clone()), timeout_ms: 30_000 };
      std::thread::spawn(move || task.compute());
    }
  }
}

impl NativeConsumer {
  fn open(&self) -> Result<()> {
    if self.inner.shared.closed.load(Ordering::Acquire) {
      return Err(closed_error());
    }
    Ok(())
  }
}

pub struct PollTask {
  inner: Arc<Inner>,
  into: Uint8Array,
  max: usize,
  timeout_ms: u32,
}

impl PollTask {
  /// Copies a message at `at`; None if it does not fit.
  fn write(out: &mut [u8], at: usize, msg: *mut rd_kafka_message_t) -> Option<usize> {
    let m = unsafe { &*msg };
    let key_len = if m.key.is_null() { 0 } else { m.key_len };
    let value_len = if m.payload.is_null() { 0 } else { m.len };
    let end = at + RECORD_HEADER + key_len + value_len;
    if end > out.len() {
      return None;
    }
    let mut tstype = 0;
    let ts = unsafe { rd_kafka_message_timestamp(msg, &mut tstype) };
    let h = &mut out[at..at + RECORD_HEADER];
    h[0..4].copy_from_slice(&(m.partition as u32).to_le_bytes());
    h[4..12].copy_from_slice(&(m.offset as f64).to_le_bytes());
    h[12..20].copy_from_slice(&(ts as f64).to_le_bytes());
    h[20..24].copy_from_slice(&(if m.key.is_null() { -1 } else { key_len as i32 }).to_le_bytes());
    h[24..28].copy_from_slice(&(if m.payload.is_null() { -1 } else { value_len as i32 }).to_le_bytes());
    let mut p = at + RECORD_HEADER;
    if key_len > 0 {
      out[p..p + key_len].copy_from_slice(unsafe { std::slice::from_raw_parts(m.key as *const u8, key_len) });
      p += key_len;
    }
    if value_len > 0 {
      out[p..p + value_len].copy_from_slice(unsafe { std::slice::from_raw_parts(m.payload as *const u8, value_len) });
    }
    Some(end)
  }

  fn run(&mut self) -> Result<u32> {
    let shared = &self.inner.shared;
    let rk = self.inner.rk.0;
    let out = unsafe { self.into.as_mut() };
    let deadline = Instant::now() + Duration::from_millis(self.timeout_ms as u64);
    let (mut count, mut at) = (0usize, 0usize);
    while count < self.max && !shared.has_events.load(Ordering::Acquire) && !shared.closed.load(Ordering::Acquire) {
      let stashed = shared.stash.lock().unwrap().take();
      let msg = match stashed {
        Some(s) => {
          let p = s.0;
          std::mem::forget(s);
          p
        }
        None => {
          let wait = if count > 0 { 0 } else { deadline.saturating_duration_since(Instant::now()).as_millis().min(100) as i32 };
          let m = unsafe { rd_kafka_consumer_poll(rk, wait) };
          if m.is_null() {
            if count > 0 || Instant::now() >= deadline {
              break;
            }
            continue;
          }
          m
        }
      };
      let code = code_of(unsafe { &(*msg).err });
      if code != ERR_NONE {
        let detail = unsafe { &*msg };
        let text = if detail.payload.is_null() { String::new() } else { String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(detail.payload as *const u8, detail.len) }).into_owned() };
        unsafe { rd_kafka_message_destroy(msg) };
        if code != ERR_PARTITION_EOF {
          shared.push("error", vec![], Some(format!("consumer error: {}{}", err_text(code), if text.is_empty() { String::new() } else { format!(": {text}") })));
        }
        continue;
      }
      match Self::write(out, at, msg) {
        Some(end) => {
          at = end;
          count += 1;
          unsafe { rd_kafka_message_destroy(msg) };
        }
        None => {
          let need = RECORD_HEADER + unsafe { (*msg).key_len + (*msg).len };
          *shared.stash.lock().unwrap() = Some(Stashed(msg));
          if count == 0 {
            return Err(Error::new(Status::GenericFailure, format!("poll: a {need}-byte message does not fit a {}-byte buffer (it stays first; poll again with a larger one)", out.len())));
          }
          break;
        }
      }
    }
    Ok(count as u32)
  }
}

impl Task for PollTask {
  type Output = u32;
  type JsValue = u32;

  fn compute(&mut self) -> Result<u32> {
    let result = self.run();
    self.inner.shared.busy.store(false, Ordering::Release);
    result
  }

  fn resolve(&mut self, _env: Env, output: u32) -> Result<u32> {
    Ok(output)
  }
}

pub struct CloseTask {
  inner: Option<Arc<Inner>>,
  timeout_ms: u32,
}

impl Task for CloseTask {
  type Output = ();
  type JsValue = ();

  fn compute(&mut self) -> Result<()> {
    let Some(inner) = self.inner.take() else { return Ok(()) };
    let deadline = Instant::now() + Duration::from_millis(self.timeout_ms as u64);
    while inner.shared.busy.load(Ordering::Acquire) && Instant::now() < deadline {
      std::thread::sleep(Duration::from_millis(1)); // a running poll ends within 100 ms
    }
    let left = deadline.saturating_duration_since(Instant::now()).as_millis() as u32;
    let rk = Handle(inner.rk.0);
    let keep = inner.clone();
    bounded(left.max(1), "NativeConsumer.close", move || {
      let (_keep, rk) = (keep, rk); // the rebalance callback's state outlives the client
      unsafe {
        rd_kafka_consumer_close(rk.0);
        rd_kafka_destroy(rk.0);
      }
    })
  }

  fn resolve(&mut self, _env: Env, _output: ()) -> Result<()> {
    Ok(())
  }
}
