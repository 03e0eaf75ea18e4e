using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>
/// Batch normalisation per channel, as torch.nn.BatchNorm2d: batch statistics and running averages
/// (momentum 0.1, unbiased running variance) in training, running statistics in evaluation. weight (gamma)
/// and bias (beta) take no weight decay. With <see cref="GhostBatches"/> = k > 1, training normalises each of k
/// equal slices of the batch (along N) by its own statistics, as k workers of batch / k would (Goyal et al.'s BN per
/// worker, simulated in one process).
/// </summary>
public sealed class BatchNorm2d : Layer
{
    private Tensor? _x;
    private Tensor? _y;
    private Tensor? _dx;
    private readonly Tensor _saveMean;
    private readonly Tensor _saveInvStd;
    private bool _forwardWasTraining;
    private int _ghostBatches = 1;
    private int _forwardGhosts = 1;
    private Ghost[] _ghosts = [];
    private Tensor? _xSlice;
    private Tensor? _ySlice;
    private Tensor? _dxSlice;

    public BatchNorm2d(int channels, double epsilon = 1e-5, double momentum = 0.1, DType dtype = DType.F32, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        var dev = device ?? Device.Cpu;
        Channels = channels;
        Epsilon = epsilon;
        Momentum = momentum;
        Weight = new Parameter(Filled(channels, 1, dtype, dev), decay: false);
        Bias = new Parameter(Filled(channels, 0, dtype, dev), decay: false);
        RunningMean = Filled(channels, 0, dtype, dev);
        RunningVar = Filled(channels, 1, dtype, dev);
        _saveMean = Filled(channels, 0, dtype, dev);
        _saveInvStd = Filled(channels, 1, dtype, dev);
    }

    public int Channels { get; }
    public double Epsilon { get; }
    public double Momentum { get; }
    public Parameter Weight { get; }
    public Parameter Bias { get; }
    public Tensor RunningMean { get; }
    public Tensor RunningVar { get; }

    /// <summary>Training forwards run so far (torch's num_batches_tracked).</summary>
    public long NumBatchesTracked { get; set; }

    /// <summary>
    /// k: in training, the batch is split along N into k equal slices, each normalised by its own mean and variance
    /// (--virtual-workers k). 1, the default, is ordinary batch norm. The running statistics move by the average of the
    /// k slices' updates, which is what averaging k workers' running statistics would give.
    /// </summary>
    public int GhostBatches
    {
        get => _ghostBatches;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _ghostBatches = value;
        }
    }

    private static Tensor Filled(int n, double v, DType dtype, Device device)
    {
        var t = new Tensor([n], dtype, device);
        t.Backend.Fill(t, v);
        return t;
    }

    protected override IEnumerable<(string, Parameter)> OwnParameters()
    {
        yield return ("weight", Weight);
        yield return ("bias", Bias);
    }

    protected override IEnumerable<(string, Tensor)> OwnBuffers()
    {
        yield return ("running_mean", RunningMean);
        yield return ("running_var", RunningVar);
    }

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x[1] != Channels)
            throw new ArgumentException($"BatchNorm2d({Channels}): input {x.ShapeText} must be [N, {Channels}, H, W]");
        _x = x;
        var y = ReuseLike(ref _y, x);
        _forwardWasTraining = Training;
        _forwardGhosts = Training ? GhostBatches : 1;
        if (Training && _forwardGhosts > 1)
        {
            GhostForward(x, y);
            NumBatchesTracked++;
        }
        else if (Training)
        {
            x.Backend.BatchNormForwardTraining(x, y, Weight.Value, Bias.Value, RunningMean, RunningVar, Momentum, Epsilon, _saveMean, _saveInvStd);
            NumBatchesTracked++;
        }
        else
        {
            x.Backend.BatchNormForwardInference(x, y, Weight.Value, Bias.Value, RunningMean, RunningVar, Epsilon);
        }
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        var x = _x ?? throw BackwardBeforeForward(nameof(BatchNorm2d));
        var dx = ReuseLike(ref _dx, x);
        if (_forwardWasTraining && _forwardGhosts > 1)
            GhostBackward(x, dy, dx);
        else if (_forwardWasTraining)
            dy.Backend.BatchNormBackwardTraining(x, dy, dx, Weight.Value, Weight.Grad, Bias.Grad, _saveMean, _saveInvStd);
        else
            dy.Backend.BatchNormBackwardInference(x, dy, dx, Weight.Value, Weight.Grad, Bias.Grad, RunningMean, RunningVar, Epsilon);
        return PropagateDown ? dx : null;
    }

    // ---- ghost batches: slice i of the batch is images [i n, (i + 1) n); the slices are copied through scratch
    // tensors (our tensors have no offset views), viewed as [1, N, C*H, W] so that the channel copy moves whole images.

    private void GhostForward(Tensor x, Tensor y)
    {
        var k = _forwardGhosts;
        var n = SliceSize(x, k);
        var ops = x.Backend;
        EnsureGhosts(k, x);
        var xs = Reuse(ref _xSlice, [n, x[1], x[2], x[3]], x.DType, x.Device, x.Layout);
        var ys = Reuse(ref _ySlice, [n, x[1], x[2], x[3]], x.DType, x.Device, x.Layout);
        var (xv, yv, xsv, ysv) = (Images(x), Images(y), Images(xs), Images(ys));
        for (var i = 0; i < k; i++)
        {
            var g = _ghosts[i];
            ops.CopyFromChannels(xv, i * n, xsv);
            // Each slice moves its own copy of the running statistics, from the same start, as a worker would.
            ops.Copy(RunningMean, g.RunningMean);
            ops.Copy(RunningVar, g.RunningVar);
            ops.BatchNormForwardTraining(xs, ys, Weight.Value, Bias.Value, g.RunningMean, g.RunningVar, Momentum, Epsilon, g.SaveMean, g.SaveInvStd);
            ops.CopyIntoChannels(ysv, yv, i * n);
        }
        // The update is linear in the batch statistics: the average of the k updated copies is the update by their average.
        ops.Fill(RunningMean, 0);
        ops.Fill(RunningVar, 0);
        for (var i = 0; i < k; i++)
        {
            ops.Axpy(1.0 / k, _ghosts[i].RunningMean, RunningMean);
            ops.Axpy(1.0 / k, _ghosts[i].RunningVar, RunningVar);
        }
    }

    private void GhostBackward(Tensor x, Tensor dy, Tensor dx)
    {
        var k = _forwardGhosts;
        var n = SliceSize(x, k);
        var ops = dy.Backend;
        var xs = Reuse(ref _xSlice, [n, x[1], x[2], x[3]], x.DType, x.Device, x.Layout);
        var dys = Reuse(ref _ySlice, [n, x[1], x[2], x[3]], x.DType, x.Device, x.Layout);
        var dxs = Reuse(ref _dxSlice, [n, x[1], x[2], x[3]], x.DType, x.Device, x.Layout);
        var (xv, dyv, dxv, xsv, dysv, dxsv) = (Images(x), Images(dy), Images(dx), Images(xs), Images(dys), Images(dxs));
        for (var i = 0; i < k; i++)
        {
            ops.CopyFromChannels(xv, i * n, xsv);
            ops.CopyFromChannels(dyv, i * n, dysv);
            // dgamma and dbeta accumulate over the slices; each slice's dx is its own.
            ops.BatchNormBackwardTraining(xs, dys, dxs, Weight.Value, Weight.Grad, Bias.Grad, _ghosts[i].SaveMean, _ghosts[i].SaveInvStd);
            ops.CopyIntoChannels(dxsv, dxv, i * n);
        }
    }

    private int SliceSize(Tensor x, int k)
    {
        if (x[0] % k != 0)
            throw new ArgumentException($"BatchNorm2d({Channels}): a batch of {x[0]} does not split into {k} ghost batches of equal size");
        return x[0] / k;
    }

    /// <summary>[N, C, H, W] seen as [1, N, C*H, W]: channel copies of it move whole images.</summary>
    private static Tensor Images(Tensor t) => t.WithLayout(Layout.NCHW).Reshape(1, t[0], checked(t[1] * t[2]), t[3]); // whole images, either layout

    private void EnsureGhosts(int k, Tensor x)
    {
        if (_ghosts.Length == k && _ghosts[0].SaveMean.DType == x.DType && _ghosts[0].SaveMean.Device == x.Device) return;
        foreach (var g in _ghosts) g.Dispose();
        _ghosts = new Ghost[k];
        for (var i = 0; i < k; i++) _ghosts[i] = new Ghost(Channels, x.DType, x.Device);
    }

    /// <summary>What one ghost batch keeps: its statistics for backward and its copy of the running statistics.</summary>
    private sealed class Ghost(int channels, DType dtype, Device device) : IDisposable
    {
        public Tensor SaveMean { get; } = new([channels], dtype, device);
        public Tensor SaveInvStd { get; } = new([channels], dtype, device);
        public Tensor RunningMean { get; } = new([channels], dtype, device);
        public Tensor RunningVar { get; } = new([channels], dtype, device);

        public void Dispose()
        {
            SaveMean.Dispose();
            SaveInvStd.Dispose();
            RunningMean.Dispose();
            RunningVar.Dispose();
        }
    }

    protected override void DisposeBuffers()
    {
        _y?.Dispose();
        _dx?.Dispose();
        _saveMean.Dispose();
        _saveInvStd.Dispose();
        _xSlice?.Dispose();
        _ySlice?.Dispose();
        _dxSlice?.Dispose();
        foreach (var g in _ghosts) g.Dispose();
    }
}
