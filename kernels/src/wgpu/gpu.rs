//! One wgpu device: its queue, its reusable buffers, and the submit-and-read-back cycle with
//! device errors turned into typed [`AccelError`]s.

use std::collections::HashMap;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use ramjet_accel::{AccelError, Result, TransferStats};

use super::pool::{BufferPool, Slot};

/// Threads per workgroup in every kernel (`@workgroup_size(64)` in the WGSL sources).
pub(super) const WORKGROUP: u32 = 64;
/// Longest a submission may run before it is reported as a device fault.
const SUBMIT_TIMEOUT: Duration = Duration::from_secs(600);

/// One binding of a kernel's bind group layout.
#[derive(Debug, Clone, Copy)]
pub(super) enum Binding {
    /// A storage buffer the kernel writes.
    StorageRw,
    /// A storage buffer the kernel only reads.
    StorageRead,
    /// A small uniform of per-dispatch parameters, selected by a dynamic offset.
    Params,
}

/// A compiled WGSL module: its bind group layout and one pipeline per entry point.
pub(super) struct Kernel {
    pub(super) layout: wgpu::BindGroupLayout,
    pipelines: HashMap<&'static str, wgpu::ComputePipeline>,
}

impl Kernel {
    pub(super) fn pipeline(&self, entry: &str) -> &wgpu::ComputePipeline {
        &self.pipelines[entry]
    }
}

/// Bytes of one dispatch's parameters (a uniform binding; each struct is at most this big).
pub(super) const PARAMS_BYTES: u64 = 32;

/// Atomic transfer counters.
#[derive(Default)]
struct Transfers {
    uploads: AtomicU64,
    upload_bytes: AtomicU64,
    readbacks: AtomicU64,
    readback_bytes: AtomicU64,
}

/// Everything a call needs exclusive use of: the buffers and the compiled kernels.
pub(super) struct State {
    pub(super) pool: BufferPool,
    kernels: HashMap<&'static str, Arc<Kernel>>,
    /// log2 of the root of unity whose powers the twiddle buffers hold, if they hold any.
    pub(super) twiddles_log: Option<u32>,
    /// Whether the Poseidon constants buffer holds the constants.
    pub(super) poseidon_loaded: bool,
}

/// A wgpu device and queue with ramjet's bookkeeping.
pub(super) struct Gpu {
    pub(super) id: String,
    /// Unique in the process: tells this device from another opened under the same id, so that
    /// device memory made on one is never used on the other.
    pub(super) serial: u64,
    pub(super) device: wgpu::Device,
    queue: wgpu::Queue,
    lost: Arc<Mutex<Option<String>>>,
    transfers: Transfers,
    state: Mutex<State>,
}

impl Gpu {
    pub(super) fn new(
        id: String,
        device: wgpu::Device,
        queue: wgpu::Queue,
        memory_budget: Option<u64>,
    ) -> Self {
        let lost = Arc::new(Mutex::new(None));
        let on_lost = Arc::clone(&lost);
        device.set_device_lost_callback(move |reason, message| {
            let mut lost = on_lost.lock().unwrap_or_else(|e| e.into_inner());
            *lost = Some(format!("{reason:?}: {message}"));
        });
        let label = id.clone();
        // wgpu's default handler panics; a backend must not.
        device.on_uncaptured_error(Arc::new(move |error| {
            tracing::error!(backend = %label, %error, "uncaptured wgpu error");
        }));
        let limits = device.limits();
        let max_binding = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        static SERIALS: AtomicU64 = AtomicU64::new(0);
        Self {
            id,
            serial: SERIALS.fetch_add(1, Ordering::Relaxed),
            device,
            queue,
            lost,
            transfers: Transfers::default(),
            state: Mutex::new(State {
                pool: BufferPool::new(max_binding, memory_budget),
                kernels: HashMap::new(),
                twiddles_log: None,
                poseidon_loaded: false,
            }),
        }
    }

    /// Starts a call: exclusive use of the device's state, and error scopes that catch every
    /// device error the call causes; or [`AccelError::DeviceLost`] if the device is gone.
    pub(super) fn begin(&self) -> Result<Call<'_>> {
        self.check_lost()?;
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        Ok(Call {
            gpu: self,
            state,
            scopes: Some(self.push_scopes()),
        })
    }

    /// Out-of-memory, validation and internal error scopes, in that order.
    fn push_scopes(&self) -> [wgpu::ErrorScopeGuard; 3] {
        [
            self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory),
            self.device.push_error_scope(wgpu::ErrorFilter::Validation),
            self.device.push_error_scope(wgpu::ErrorFilter::Internal),
        ]
    }

    fn check_lost(&self) -> Result<()> {
        match &*self.lost.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(reason) => Err(AccelError::DeviceLost {
                backend: self.id.clone(),
                reason: reason.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Destroys the device, as a driver reset would: every later call returns
    /// [`AccelError::DeviceLost`].
    pub(super) fn destroy(&self) {
        self.device.destroy();
        // The callback runs on the next poll; record the loss now so no call races it.
        let mut lost = self.lost.lock().unwrap_or_else(|e| e.into_inner());
        lost.get_or_insert_with(|| "Destroyed: device destroyed".to_owned());
    }

    pub(super) fn memory_held(&self) -> u64 {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pool
            .held()
    }

    /// The largest buffer the device binds, and the memory budget if there is one.
    pub(super) fn buffer_limits(&self) -> (u64, Option<u64>) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        (state.pool.max_buffer(), state.pool.budget())
    }

    pub(super) fn transfers(&self) -> TransferStats {
        let t = &self.transfers;
        TransferStats {
            uploads: t.uploads.load(Ordering::Relaxed),
            upload_bytes: t.upload_bytes.load(Ordering::Relaxed),
            readbacks: t.readbacks.load(Ordering::Relaxed),
            readback_bytes: t.readback_bytes.load(Ordering::Relaxed),
        }
    }

    pub(super) fn device_error(&self, reason: impl Into<String>) -> AccelError {
        AccelError::Device {
            backend: self.id.clone(),
            reason: reason.into(),
        }
    }

    /// The kernel compiled from `source` (once per device), with the given bindings.
    pub(super) fn kernel(
        &self,
        state: &mut State,
        name: &'static str,
        source: &str,
        bindings: &[Binding],
        entries: &[&'static str],
    ) -> Result<Arc<Kernel>> {
        if let Some(k) = state.kernels.get(name) {
            return Ok(Arc::clone(k));
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(name),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
        let layout_entries: Vec<_> = bindings
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupLayoutEntry {
                binding: i as u32,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: match b {
                    Binding::StorageRw | Binding::StorageRead => wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Storage {
                            read_only: matches!(b, Binding::StorageRead),
                        },
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    Binding::Params => wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: true,
                        min_binding_size: NonZeroU64::new(PARAMS_BYTES),
                    },
                },
                count: None,
            })
            .collect();
        let layout = self
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(name),
                entries: &layout_entries,
            });
        let pipeline_layout = self
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(name),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let pipelines = entries
            .iter()
            .map(|&entry| {
                let p = self
                    .device
                    .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                        label: Some(entry),
                        layout: Some(&pipeline_layout),
                        module: &module,
                        entry_point: Some(entry),
                        compilation_options: Default::default(),
                        cache: None,
                    });
                (entry, p)
            })
            .collect();
        if let Some(error) = pollster::block_on(scope.pop()) {
            return Err(self.device_error(format!("kernel {name} did not compile: {error}")));
        }
        let kernel = Arc::new(Kernel { layout, pipelines });
        state.kernels.insert(name, Arc::clone(&kernel));
        Ok(kernel)
    }

    /// Copies `data` into `buffer` at offset 0, counted as one upload.
    pub(super) fn upload(&self, buffer: &wgpu::Buffer, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        // Copies are whole 4-byte words: pad a ragged tail with zeros.
        if data.len().is_multiple_of(4) {
            self.queue.write_buffer(buffer, 0, data);
        } else {
            let mut padded = data.to_vec();
            padded.resize(data.len().next_multiple_of(4), 0);
            self.queue.write_buffer(buffer, 0, &padded);
        }
        self.transfers.uploads.fetch_add(1, Ordering::Relaxed);
        self.transfers
            .upload_bytes
            .fetch_add(data.len() as u64, Ordering::Relaxed);
    }

    /// A buffer of per-dispatch parameters, each at its own aligned offset, for one call. Returns
    /// the buffer and the stride between dispatches.
    pub(super) fn params_buffer(
        &self,
        state: &mut State,
        params: &[[u32; 8]],
    ) -> Result<(wgpu::Buffer, u32)> {
        let align = self.device.limits().min_uniform_buffer_offset_alignment;
        let stride = align.max(PARAMS_BYTES as u32);
        let mut bytes = vec![0u8; params.len().max(1) * stride as usize];
        for (i, p) in params.iter().enumerate() {
            let at = i * stride as usize;
            bytes[at..at + PARAMS_BYTES as usize].copy_from_slice(bytemuck::cast_slice(p));
        }
        let buffer = self.buffer(
            state,
            Slot::Params,
            bytes.len() as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        )?;
        // A few hundred bytes of dispatch parameters: not counted as a data upload.
        self.queue.write_buffer(&buffer, 0, &bytes);
        Ok((buffer, stride))
    }

    /// A pooled buffer for `slot`, or [`AccelError::DeviceOutOfMemory`].
    pub(super) fn buffer(
        &self,
        state: &mut State,
        slot: Slot,
        bytes: u64,
        usage: wgpu::BufferUsages,
    ) -> Result<wgpu::Buffer> {
        state
            .pool
            .get(&self.device, slot, bytes, usage)
            .map_err(|requested| self.out_of_memory(requested))
    }

    /// A storage buffer for `slot` holding `data`, uploaded now.
    pub(super) fn storage_with(
        &self,
        state: &mut State,
        slot: Slot,
        data: &[u8],
    ) -> Result<wgpu::Buffer> {
        let buffer = self.buffer(
            state,
            slot,
            data.len() as u64,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        )?;
        self.upload(&buffer, data);
        Ok(buffer)
    }

    /// A storage buffer outside the pool holding `data`, uploaded now and kept until its owner
    /// destroys it (and subtracts its size from the returned counter of resident bytes).
    pub(super) fn resident_storage(
        &self,
        label: &'static str,
        data: &[u8],
    ) -> Result<(wgpu::Buffer, Arc<AtomicU64>)> {
        self.check_lost()?;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (buffer, counter) = state
            .pool
            .resident(
                &self.device,
                label,
                data.len() as u64,
                wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            )
            .map_err(|requested| self.out_of_memory(requested))?;
        self.upload(&buffer, data);
        Ok((buffer, counter))
    }

    pub(super) fn out_of_memory(&self, requested_bytes: u64) -> AccelError {
        AccelError::DeviceOutOfMemory {
            backend: self.id.clone(),
            requested_bytes,
        }
    }

    fn read_back(&self, staging: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>> {
        let slice = staging.slice(..bytes);
        let (tx, rx) = mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: None,
                timeout: Some(SUBMIT_TIMEOUT),
            })
            .map_err(|e| self.device_error(e.to_string()))?;
        self.check_lost()?;
        match rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(self.device_error(format!("read-back failed: {e}"))),
            Err(_) => return Err(self.device_error("read-back never completed")),
        }
        let data = slice
            .get_mapped_range()
            .map_err(|e| self.device_error(format!("read-back failed: {e}")))?
            .to_vec();
        staging.unmap();
        self.transfers.readbacks.fetch_add(1, Ordering::Relaxed);
        self.transfers
            .readback_bytes
            .fetch_add(bytes, Ordering::Relaxed);
        Ok(data)
    }
}

/// One call on a device: its exclusive state and its error scopes (see [`Gpu::begin`]).
pub(super) struct Call<'a> {
    gpu: &'a Gpu,
    pub(super) state: MutexGuard<'a, State>,
    /// Out-of-memory, validation and internal scopes, in the order they were pushed.
    scopes: Option<[wgpu::ErrorScopeGuard; 3]>,
}

impl Call<'_> {
    /// Records `work` into one command buffer, copies `bytes` (> 0) bytes of `result` from
    /// offset `from` back, submits once and waits. Any device error raised since the call began
    /// (uploads and allocations included) comes back typed.
    pub(super) fn run(
        mut self,
        result: &wgpu::Buffer,
        from: u64,
        bytes: u64,
        work: impl FnOnce(&mut wgpu::CommandEncoder),
    ) -> Result<Vec<u8>> {
        self.submit(result, from, bytes, work)
    }

    /// As [`Call::run`], for a call that needs a result back before it can record the rest of
    /// its work: the call goes on afterwards, its errors caught by fresh scopes.
    pub(super) fn run_step(
        &mut self,
        result: &wgpu::Buffer,
        from: u64,
        bytes: u64,
        work: impl FnOnce(&mut wgpu::CommandEncoder),
    ) -> Result<Vec<u8>> {
        let out = self.submit(result, from, bytes, work);
        if self.scopes.is_none() {
            self.scopes = Some(self.gpu.push_scopes());
        }
        out
    }

    fn submit(
        &mut self,
        result: &wgpu::Buffer,
        from: u64,
        bytes: u64,
        work: impl FnOnce(&mut wgpu::CommandEncoder),
    ) -> Result<Vec<u8>> {
        let gpu = self.gpu;
        let staging = gpu.buffer(
            &mut self.state,
            Slot::Readback,
            bytes,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        )?;
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("ramjet"),
            });
        work(&mut encoder);
        encoder.copy_buffer_to_buffer(result, from, &staging, 0, bytes);
        let submission = gpu.queue.submit([encoder.finish()]);
        let waited = gpu.device.poll(wgpu::PollType::Wait {
            submission_index: Some(submission),
            timeout: Some(SUBMIT_TIMEOUT),
        });
        let error = self.pop_scopes();
        gpu.check_lost()?;
        if let Some(error) = error {
            return Err(match error {
                wgpu::Error::OutOfMemory { .. } => gpu.out_of_memory(bytes),
                other => gpu.device_error(other.to_string()),
            });
        }
        waited.map_err(|e| gpu.device_error(e.to_string()))?;
        gpu.read_back(&staging, bytes)
    }

    /// Pops the call's error scopes (innermost first) and returns the first error caught. On an
    /// error, what was queued may not have landed: the kept tables are uploaded again next time.
    fn pop_scopes(&mut self) -> Option<wgpu::Error> {
        let [oom, validation, internal] = self.scopes.take()?;
        let caught = [
            pollster::block_on(internal.pop()),
            pollster::block_on(validation.pop()),
            pollster::block_on(oom.pop()),
        ];
        let error = caught.into_iter().flatten().next();
        if error.is_some() {
            self.state.twiddles_log = None;
            self.state.poseidon_loaded = false;
        }
        error
    }
}

impl Drop for Call<'_> {
    /// A call that ends early (an error before `run`) still pops its scopes, in order; anything
    /// they caught is logged.
    fn drop(&mut self) {
        if let Some(error) = self.pop_scopes() {
            tracing::warn!(backend = %self.gpu.id, %error, "device error in an abandoned call");
        }
    }
}

/// Workgroup counts covering `threads` threads: a 2-D grid once one dimension's limit is passed.
pub(super) fn workgroups(threads: u32) -> (u32, u32) {
    const MAX_X: u32 = 32_768;
    let groups = threads.div_ceil(WORKGROUP).max(1);
    if groups <= MAX_X {
        (groups, 1)
    } else {
        (MAX_X, groups.div_ceil(MAX_X))
    }
}

/// Records one dispatch of `pipeline` over `threads` threads with the `index`-th parameters.
pub(super) fn dispatch(
    pass: &mut wgpu::ComputePass<'_>,
    pipeline: &wgpu::ComputePipeline,
    bind_group: &wgpu::BindGroup,
    params_stride: u32,
    index: usize,
    threads: u32,
) {
    let (x, y) = workgroups(threads);
    pass.set_pipeline(pipeline);
    pass.set_bind_group(0, bind_group, &[params_stride * index as u32]);
    pass.dispatch_workgroups(x, y, 1);
}

/// A bind group over `buffers` (in binding order) plus the parameters buffer as the last binding.
pub(super) fn bind_group(
    device: &wgpu::Device,
    kernel: &Kernel,
    buffers: &[&wgpu::Buffer],
    params: &wgpu::Buffer,
) -> wgpu::BindGroup {
    let mut entries: Vec<_> = buffers
        .iter()
        .enumerate()
        .map(|(i, b)| wgpu::BindGroupEntry {
            binding: i as u32,
            resource: b.as_entire_binding(),
        })
        .collect();
    entries.push(wgpu::BindGroupEntry {
        binding: buffers.len() as u32,
        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: params,
            offset: 0,
            size: NonZeroU64::new(PARAMS_BYTES),
        }),
    });
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &kernel.layout,
        entries: &entries,
    })
}
