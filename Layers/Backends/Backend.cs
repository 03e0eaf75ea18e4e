using NativeNets.Tensors;

namespace NativeNets.Backends;

/// <summary>
/// The op interface: every computation a layer, loss, optimizer or classifier needs, one
/// implementation per device. Tensors passed to one call live on this backend's device. Ops check
/// shapes and dtypes and say what they expected; they never read or write outside a tensor.
/// Matrices are row-major views of tensors (first dim by the product of the rest).
/// </summary>
public abstract class Backend
{
    private static readonly Dictionary<DeviceKind, Func<int, Backend>> Factories = new()
    {
        [DeviceKind.Cpu] = _ => CpuBackend.Instance,
        [DeviceKind.Cuda] = CudaBackend.ForDevice,
    };

    /// <summary>Lets a backend in another assembly (the CUDA one) register itself.</summary>
    public static void Register(DeviceKind kind, Func<int, Backend> factory)
    {
        lock (Factories) Factories[kind] = factory;
    }

    public static Backend For(Device device)
    {
        Func<int, Backend>? factory;
        lock (Factories) Factories.TryGetValue(device.Kind, out factory);
        if (factory is null)
            throw new NotSupportedException($"no backend for device {device}");
        return factory(device.Index);
    }

    public abstract Device Device { get; }
    public abstract string Name { get; }

    // ---- memory -------------------------------------------------------------------------------

    public abstract Storage Allocate(long bytes);
    public abstract void CopyFromHost(nint source, Tensor destination);
    public abstract void CopyToHost(Tensor source, nint destination);
    /// <summary>Copies all of <paramref name="source"/> into <paramref name="destination"/> (same dtype and count).</summary>
    public abstract void Copy(Tensor source, Tensor destination);
    /// <summary>Copies rows <paramref name="rowIndices"/> of <paramref name="source"/> (a matrix) into the rows of <paramref name="destination"/>, in order.</summary>
    public abstract void GatherRows(Tensor source, ReadOnlySpan<int> rowIndices, Tensor destination);
    /// <summary>Waits until all work queued on this backend is done.</summary>
    public abstract void Synchronize();

    // ---- dense linear algebra -----------------------------------------------------------------

    /// <summary>C = alpha * op(A) * op(B) + beta * C, with op(X) = X or its transpose. With beta = 0, C is not read.</summary>
    public abstract void Gemm(bool transposeA, bool transposeB, double alpha, Tensor a, Tensor b, double beta, Tensor c);

    // ---- elementwise --------------------------------------------------------------------------

    public abstract void Fill(Tensor x, double value);
    /// <summary>x = alpha * x.</summary>
    public abstract void Scale(Tensor x, double alpha);
    /// <summary>y = alpha * x + y.</summary>
    public abstract void Axpy(double alpha, Tensor x, Tensor y);
    /// <summary>destination = source * scale + shift, converting dtypes (e.g. U8 pixels to normalised F32).</summary>
    public abstract void ScaleShift(Tensor source, Tensor destination, double scale, double shift);
    /// <summary>
    /// A batch of images as a loader assembles it, U8 with dims [N, C, H, W] in NHWC memory order, to normalised F32 (or
    /// F16 / BF16) in the output's layout, NCHW or NHWC (channels last, no reordering at all):
    /// output[n, c, h, w] = (images[n, h, w, c] / 255 - mean[c]) / std[c], in float, as torchvision's ToTensor + Normalize.
    /// </summary>
    public abstract void NormalizeImages(Tensor images, Tensor output, ReadOnlySpan<float> mean, ReadOnlySpan<float> std);

    /// <summary>Converts between dtypes (F32, F64, F16, BF16, U8, I32) with round-to-nearest-even.</summary>
    public abstract void Cast(Tensor source, Tensor destination);
    /// <summary>y[r, :] += bias for every row r.</summary>
    public abstract void AddRowVector(Tensor y, Tensor bias);
    /// <summary>sums = beta * sums + (sum over rows of x).</summary>
    public abstract void SumRows(Tensor x, Tensor sums, double beta);
    public abstract void Relu(Tensor x, Tensor y);
    /// <summary>dx = dy where y &gt; 0, else 0. May run in place (dx == dy).</summary>
    public abstract void ReluBackward(Tensor y, Tensor dy, Tensor dx);
    public abstract void Tanh(Tensor x, Tensor y);
    /// <summary>dx = dy * (1 - y^2). May run in place.</summary>
    public abstract void TanhBackward(Tensor y, Tensor dy, Tensor dx);

    // ---- reductions ---------------------------------------------------------------------------

    public abstract double Sum(Tensor x);
    public abstract double SumOfSquares(Tensor x);
    /// <summary>indices[r] = the column of the largest value of row r (the first one on ties).</summary>
    public abstract void ArgMaxRows(Tensor x, Tensor indices);

    // ---- losses -------------------------------------------------------------------------------

    /// <summary>
    /// Mean softmax cross-entropy of <paramref name="logits"/> [N, C] against I32 <paramref name="labels"/> [N].
    /// When <paramref name="dlogits"/> is given it receives the gradient of the mean loss times <paramref name="gradScale"/>.
    /// </summary>
    public abstract double SoftmaxCrossEntropy(Tensor logits, Tensor labels, Tensor? dlogits, double gradScale = 1.0);

    /// <summary>
    /// Mean multiclass hinge loss (Weston-Watkins, CS231n): sum over j != y of max(0, s_j - s_y + margin).
    /// When <paramref name="dscores"/> is given it receives the gradient of the mean loss times <paramref name="gradScale"/>.
    /// </summary>
    public abstract double MulticlassHinge(Tensor scores, Tensor labels, double margin, Tensor? dscores, double gradScale = 1.0);

    // ---- optimizer ----------------------------------------------------------------------------

    /// <summary>
    /// SGD with momentum as PyTorch does it: g = grad + weightDecay * param; velocity = momentum * velocity + g;
    /// param -= lr * velocity.
    /// </summary>
    public abstract void SgdMomentumStep(Tensor param, Tensor grad, Tensor velocity, double lr, double momentum, double weightDecay);

    /// <summary>
    /// The first half of a mixed-precision step: masterGrads[i] = F32(grads[i]) * inverseScale for every pair (a pair
    /// may be one F32 tensor twice, scaled in place). Returns false when any value is infinite or NaN, which is how a
    /// dynamic loss scale notices an overflow; the master gradients are then not to be used.
    /// </summary>
    public abstract bool UnscaleGradients(IReadOnlyList<Tensor> grads, IReadOnlyList<Tensor> masterGrads, double inverseScale);

    // ---- nearest neighbours -------------------------------------------------------------------

    /// <summary>distances[q, r] = sum |queries[q, :] - references[r, :]| over U8 rows, exactly, as I32.</summary>
    public abstract void L1DistancesU8(Tensor queries, Tensor references, Tensor distances);

    /// <summary>
    /// distances[q, r] = |q|^2 + |r|^2 - 2 q.r over F32 rows, through the GEMM. <paramref name="referenceNormsSquared"/>
    /// holds |r|^2 for every reference row.
    /// </summary>
    public abstract void SquaredL2Distances(Tensor queries, Tensor references, Tensor referenceNormsSquared, Tensor distances);

    /// <summary>
    /// For each row of <paramref name="distances"/> [Q, R] (I32 or F32), the columns of its k smallest values in
    /// ascending order of distance; equal distances keep the lower column first.
    /// </summary>
    public abstract void SmallestK(Tensor distances, int k, Tensor indices);

    // ---- convolution (NCHW; weights [O, C/groups, KH, KW]) ------------------------------------

    /// <summary>y = conv(x, w) + bias, PyTorch's cross-correlation, with stride, padding, dilation and groups.</summary>
    public abstract void ConvForward(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry geometry);
    /// <summary>dx = the gradient of the convolution with respect to its input (overwrites dx).</summary>
    public abstract void ConvBackwardData(Tensor dy, Tensor w, Tensor dx, Conv2dGeometry geometry);
    /// <summary>dw = beta * dw + the gradient with respect to the weights.</summary>
    public abstract void ConvBackwardFilter(Tensor x, Tensor dy, Tensor dw, Conv2dGeometry geometry, double beta);
    /// <summary>db = beta * db + the sum of dy over batch and space, per channel.</summary>
    public abstract void ConvBackwardBias(Tensor dy, Tensor db, double beta);

    // ---- pooling ------------------------------------------------------------------------------

    public abstract void MaxPoolForward(Tensor x, Tensor y, Pool2dGeometry geometry);
    /// <summary>dx = dy routed to the first maximum of each window (PyTorch's choice on ties); overwrites dx.</summary>
    public abstract void MaxPoolBackward(Tensor x, Tensor dy, Tensor dx, Pool2dGeometry geometry);
    public abstract void AvgPoolForward(Tensor x, Tensor y, Pool2dGeometry geometry);
    public abstract void AvgPoolBackward(Tensor dy, Tensor dx, Pool2dGeometry geometry);
    /// <summary>Average over windows [floor(i H / OH), ceil((i + 1) H / OH)), as torch.nn.AdaptiveAvgPool2d.</summary>
    public abstract void AdaptiveAvgPoolForward(Tensor x, Tensor y);
    public abstract void AdaptiveAvgPoolBackward(Tensor dy, Tensor dx);

    // ---- normalisation ------------------------------------------------------------------------

    /// <summary>
    /// Local response normalisation across channels, PyTorch's formula: y = x / (k + alpha / size * sum of x^2 over
    /// the size channels around c)^beta.
    /// </summary>
    public abstract void LrnForward(Tensor x, Tensor y, int size, double alpha, double beta, double k);
    public abstract void LrnBackward(Tensor x, Tensor y, Tensor dy, Tensor dx, int size, double alpha, double beta, double k);

    /// <summary>
    /// Batch normalisation in training: batch statistics per channel; the running averages move by
    /// <paramref name="momentum"/> (running_var with the unbiased variance); saveMean/saveInvStd keep what backward needs.
    /// </summary>
    public abstract void BatchNormForwardTraining(Tensor x, Tensor y, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        double momentum, double epsilon, Tensor saveMean, Tensor saveInvStd);
    public abstract void BatchNormForwardInference(Tensor x, Tensor y, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, double epsilon);
    /// <summary>Backward of training-mode batch norm: dx (overwritten), dgamma and dbeta (accumulated).</summary>
    public abstract void BatchNormBackwardTraining(Tensor x, Tensor dy, Tensor dx, Tensor gamma, Tensor dgamma, Tensor dbeta, Tensor saveMean, Tensor saveInvStd);
    /// <summary>Backward of inference-mode batch norm (a per-channel affine map): dx overwritten, dgamma and dbeta accumulated.</summary>
    public abstract void BatchNormBackwardInference(Tensor x, Tensor dy, Tensor dx, Tensor gamma, Tensor dgamma, Tensor dbeta, Tensor runningMean, Tensor runningVar, double epsilon);

    // ---- dropout, concatenation, residuals ----------------------------------------------------

    /// <summary>
    /// Inverted dropout: keep each element with probability 1 - p and scale it by 1 / (1 - p). The mask (U8) is a pure
    /// function of (seed, element index) through splitmix64, so every backend draws the same mask.
    /// </summary>
    public abstract void DropoutForward(Tensor x, Tensor y, Tensor mask, double p, ulong seed);
    public abstract void DropoutBackward(Tensor dy, Tensor mask, Tensor dx, double p);
    /// <summary>y = a + b.</summary>
    public abstract void Add(Tensor a, Tensor b, Tensor y);
    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="destination"/> of the same dims [N, C, H, W] and dtype, each in
    /// its own memory layout (NCHW or NHWC): the values move unchanged, their order changes. Same layouts: a copy.
    /// </summary>
    public abstract void ConvertLayout(Tensor source, Tensor destination);
    /// <summary>
    /// A channel copy's rows: N rows of C planes of H x W for NCHW, N x H x W rows of C single values for channels last
    /// (where the plane is more than 1 x 1).
    /// </summary>
    private protected static (int Rows, int PlaneSize) ChannelRows(Tensor part, Tensor whole) =>
        (part.Layout == Layout.NHWC || whole.Layout == Layout.NHWC) && !Tensor.SameInBothLayouts(part.Dims) && !Tensor.SameInBothLayouts(whole.Dims)
            ? (checked(part[0] * part[2] * part[3]), 1)
            : (part[0], part[2] * part[3]);

    /// <summary>Copies src [N, Cs, H, W] into channels [offset, offset + Cs) of dst [N, C, H, W] (both NCHW, or both NHWC).</summary>
    public abstract void CopyIntoChannels(Tensor source, Tensor destination, int channelOffset);
    /// <summary>Copies channels [offset, offset + Cd) of src [N, C, H, W] into dst [N, Cd, H, W].</summary>
    public abstract void CopyFromChannels(Tensor source, int channelOffset, Tensor destination);
    /// <summary>
    /// The parameter-free shortcut of He et al.'s CIFAR ResNets (option A): y[:, padBefore + c] = x[:, c, ::stride, ::stride],
    /// zeros in the other channels.
    /// </summary>
    public abstract void PadShortcutForward(Tensor x, Tensor y, int stride, int padBefore);
    public abstract void PadShortcutBackward(Tensor dy, Tensor dx, int stride, int padBefore);
}
