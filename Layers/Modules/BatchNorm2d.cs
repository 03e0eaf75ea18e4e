using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>
/// Batch normalisation per channel, as torch.nn.BatchNorm2d: batch statistics and running averages
/// (momentum 0.1, unbiased running variance) in training, running statistics in evaluation. weight (gamma)
/// and bias (beta) take no weight decay.
/// </summary>
public sealed class BatchNorm2d : Layer
{
    private Tensor? _x;
    private Tensor? _y;
    private Tensor? _dx;
    private readonly Tensor _saveMean;
    private readonly Tensor _saveInvStd;
    private bool _forwardWasTraining;

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
        if (Training)
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
        if (_forwardWasTraining)
            dy.Backend.BatchNormBackwardTraining(x, dy, dx, Weight.Value, Weight.Grad, Bias.Grad, _saveMean, _saveInvStd);
        else
            dy.Backend.BatchNormBackwardInference(x, dy, dx, Weight.Value, Weight.Grad, Bias.Grad, RunningMean, RunningVar, Epsilon);
        return PropagateDown ? dx : null;
    }

    protected override void DisposeBuffers()
    {
        _y?.Dispose();
        _dx?.Dispose();
        _saveMean.Dispose();
        _saveInvStd.Dispose();
    }
}
