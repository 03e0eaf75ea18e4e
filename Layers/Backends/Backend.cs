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
            throw new NotSupportedException($"no backend for device {device}: this build runs on the CPU only (the CUDA backend is not available)");
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
}
