using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>
/// A layer: Forward(x) -> y keeps what its backward needs; Backward(dy) -> dx accumulates the gradients
/// of its parameters and returns the gradient of its input. The tensors a layer returns are its own
/// buffers, reused from call to call (as in Darknet): read them before the next call, never dispose them.
/// </summary>
public abstract class Layer : IDisposable
{
    private bool _training = true;

    /// <summary>When false (the first layer of a net), Backward computes parameter gradients only and returns null.</summary>
    public bool PropagateDown { get; set; } = true;

    /// <summary>Training or evaluation mode; composites pass it on to their children.</summary>
    public bool Training
    {
        get => _training;
        set
        {
            _training = value;
            foreach (var (_, child) in Children()) child.Training = value;
        }
    }

    public abstract Tensor Forward(Tensor x);

    /// <summary>
    /// Floating-point operations (2 per multiply-add) of this layer's own matrix work in its last forward: convolutions
    /// and fully connected layers; 0 for the rest, which model FLOP utilisation does not count (Diagnostics.Flops).
    /// </summary>
    public virtual long LastForwardFlops => 0;

    public abstract Tensor? Backward(Tensor dy);

    /// <summary>This layer's own parameters, named as in torchvision's state_dict (weight, bias).</summary>
    protected virtual IEnumerable<(string Name, Parameter Parameter)> OwnParameters() => [];

    /// <summary>This layer's own state that is not learned (BatchNorm's running_mean and running_var).</summary>
    protected virtual IEnumerable<(string Name, Tensor Buffer)> OwnBuffers() => [];

    /// <summary>Every buffer in the tree, with dotted names such as "bn1.running_mean".</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers()
    {
        foreach (var b in OwnBuffers()) yield return b;
        foreach (var (childName, child) in Children())
            foreach (var (name, b) in child.NamedBuffers())
                yield return ($"{childName}.{name}", b);
    }

    /// <summary>Every layer in the tree with its dotted path ("" for this one), parents before children.</summary>
    public IEnumerable<(string Path, Layer Layer)> NamedLayers()
    {
        yield return ("", this);
        foreach (var (childName, child) in Children())
            foreach (var (path, layer) in child.NamedLayers())
                yield return (path.Length == 0 ? childName : $"{childName}.{path}", layer);
    }

    /// <summary>Child layers with their names, for composites.</summary>
    public virtual IEnumerable<(string Name, Layer Layer)> Children() => [];

    /// <summary>Every parameter in the tree, with dotted names such as "fc1.weight".</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters()
    {
        foreach (var p in OwnParameters()) yield return p;
        foreach (var (childName, child) in Children())
            foreach (var (name, p) in child.NamedParameters())
                yield return ($"{childName}.{name}", p);
    }

    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter);

    public long ParameterCount() => Parameters().Sum(p => p.Value.Count);

    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    /// <summary>Frees the parameters and buffers of this layer and its children.</summary>
    public virtual void Dispose()
    {
        foreach (var (_, p) in OwnParameters()) p.Dispose();
        foreach (var (_, b) in OwnBuffers()) b.Dispose();
        foreach (var (_, c) in Children()) c.Dispose();
        DisposeBuffers();
        GC.SuppressFinalize(this);
    }

    protected virtual void DisposeBuffers() { }

    /// <summary>
    /// Returns <paramref name="buffer"/> when it already has this shape, dtype, device and memory layout, else a new one.
    /// Layers make their outputs in their input's layout (NCHW, or NHWC in a channels-last network on the GPU).
    /// </summary>
    protected static Tensor Reuse(ref Tensor? buffer, ReadOnlySpan<int> dims, DType dtype, Device device) =>
        Reuse(ref buffer, dims, dtype, device, Layout.NCHW);

    /// <summary>As <see cref="Reuse(ref Tensor?, ReadOnlySpan{int}, DType, Device)"/>, in <paramref name="layout"/>.</summary>
    protected static Tensor Reuse(ref Tensor? buffer, ReadOnlySpan<int> dims, DType dtype, Device device, Layout layout)
    {
        // A buffer freed from outside (a TensorScope that ended around the first forward) is made again, not reused.
        if (buffer is not null && !buffer.Storage.IsDisposed && buffer.Dims.SequenceEqual(dims) && buffer.DType == dtype && buffer.Device == device
            && buffer.Layout == layout)
            return buffer;
        buffer?.Dispose();
        buffer = new Tensor(dims.ToArray(), dtype, device, layout);
        return buffer;
    }

    protected static Tensor ReuseLike(ref Tensor? buffer, Tensor like) => Reuse(ref buffer, like.Dims, like.DType, like.Device, like.Layout);

    [ThreadStatic] private static bool? _releaseGradientsEarly;

    /// <summary>
    /// Whether the containers (Sequential, Residual, Inception) free each input gradient a child returned as soon as the
    /// layer before it has used it, instead of every layer keeping its gradient buffer for the whole step (the layer makes
    /// it again in the next backward). Null, the default: where allocations come from a pool (the CUDA backend's
    /// stream-ordered pool, where a free and the next step's allocation cost microseconds), not on the CPU (where each
    /// large buffer would be a fresh, zeroed mapping every step). Per thread, so that a test can force it either way.
    /// </summary>
    public static bool? ReleaseGradientsEarly
    {
        get => _releaseGradientsEarly;
        set => _releaseGradientsEarly = value;
    }

    /// <summary>
    /// For containers (and other walkers of a backward pass, such as GradientBuckets), where <see cref="ReleaseGradientsEarly"/>
    /// says so: frees <paramref name="used"/>, an input gradient a child returned that the next layer back (or the container) has
    /// now used, unless it is (or shares the memory of) <paramref name="keep"/> (the gradient the container itself was
    /// given, or one it still has to hand out) or <paramref name="result"/> (what is handed on: a child that passes its
    /// gradient through returns the same memory). A view frees nothing; a layer's own buffer goes back to the allocator.
    /// </summary>
    public static void ReleaseUsedGradient(Tensor? used, Tensor keep, Tensor? result)
    {
        if (used is null || !(_releaseGradientsEarly ?? used.Device.Kind != DeviceKind.Cpu)) return;
        if (used.Storage == keep.Storage || (result is not null && used.Storage == result.Storage)) return;
        used.Dispose();
    }

    /// <summary>
    /// Runs a child's forward inside an NVTX range named after it ("conv1.forward"), for Nsight, and timed when
    /// Diagnostics.Profiling.Timing is set.
    /// </summary>
    protected static Tensor ForwardChild(string name, Layer child, Tensor x)
    {
        if (!Diagnostics.Profiling.Active) return child.Forward(x);
        Diagnostics.Profiling.Push(name + ".forward");
        var timing = Diagnostics.Profiling.Timing;
        var start = timing?.Begin(name, x.Backend) ?? 0;
        try
        {
            return child.Forward(x);
        }
        finally
        {
            timing?.End(start, backward: false, x.Backend);
            Diagnostics.Profiling.Pop();
        }
    }

    /// <summary>Runs a child's backward inside an NVTX range named after it ("conv1.backward"), and timed as its forward is.</summary>
    protected static Tensor? BackwardChild(string name, Layer child, Tensor dy)
    {
        if (!Diagnostics.Profiling.Active) return child.Backward(dy);
        Diagnostics.Profiling.Push(name + ".backward");
        var timing = Diagnostics.Profiling.Timing;
        var start = timing?.Begin(name, dy.Backend) ?? 0;
        try
        {
            return child.Backward(dy);
        }
        finally
        {
            timing?.End(start, backward: true, dy.Backend);
            Diagnostics.Profiling.Pop();
        }
    }

    protected static InvalidOperationException BackwardBeforeForward(string layer) =>
        new($"{layer}: Backward called before Forward");
}
