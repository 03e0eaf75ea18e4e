using NativeNets.Tensors;

namespace NativeNets.Modules;

/// <summary>
/// Fully connected layer y = x W^T + b, with W [out, in] as in PyTorch. Inputs of any rank are read as
/// [N, in] (the first dim is the batch). Initialised as torch.nn.Linear: U(-1/sqrt(in), 1/sqrt(in)).
/// </summary>
public sealed class Linear : Layer
{
    private Tensor? _x;
    private Tensor? _y;
    private Tensor? _dx;

    public Linear(int inFeatures, int outFeatures, bool bias = true, Rng? rng = null, DType dtype = DType.F32, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        var dev = device ?? Device.Cpu;
        rng ??= new Rng(0);
        var bound = 1.0 / Math.Sqrt(inFeatures);
        Weight = new Parameter(Init.Uniform(new[] { outFeatures, inFeatures }, -bound, bound, rng, dtype, dev), decay: true);
        if (bias) Bias = new Parameter(Init.Uniform(new[] { outFeatures }, -bound, bound, rng, dtype, dev), decay: false);
    }

    private long _flops;

    public override long LastForwardFlops => _flops;

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    protected override IEnumerable<(string, Parameter)> OwnParameters()
    {
        yield return ("weight", Weight);
        if (Bias is not null) yield return ("bias", Bias);
    }

    public override Tensor Forward(Tensor x)
    {
        var (n, features) = x.AsMatrix;
        if (features != InFeatures)
            throw new ArgumentException($"Linear({InFeatures}, {OutFeatures}): input {x.ShapeText} has {features} features per item, expected {InFeatures}");
        _x = x;
        _flops = 2L * n * InFeatures * OutFeatures;
        var y = Reuse(ref _y, [n, OutFeatures], x.DType, x.Device);
        var ops = x.Backend;
        ops.Gemm(false, true, 1, x, Weight.Value, 0, y);
        if (Bias is not null) ops.AddRowVector(y, Bias.Value);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        var x = _x ?? throw BackwardBeforeForward(nameof(Linear));
        var ops = dy.Backend;
        // dW += dy^T x ; db += sum over the batch of dy ; dx = dy W
        ops.Gemm(true, false, 1, dy, x, 1, Weight.Grad);
        if (Bias is not null) ops.SumRows(dy, Bias.Grad, 1);
        if (!PropagateDown) return null;
        var dx = ReuseLike(ref _dx, x);
        ops.Gemm(false, false, 1, dy, Weight.Value, 0, dx);
        return dx;
    }

    protected override void DisposeBuffers()
    {
        _y?.Dispose();
        _dx?.Dispose();
    }
}
