using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using Tensor = NativeNets.Tensors.Tensor;
using System.Runtime.Intrinsics;
using NativeNets.Tensors;

namespace NativeNets.Backends;

// F16 and BF16 on the CPU. The CPU has no half-precision arithmetic worth using, so an op given F16 or BF16 tensors
// widens them to F32, runs its F32 kernel and rounds each output back once: F32 accumulation and one rounding per
// output value, which is what cuDNN and cuBLAS do with tensor cores (F16/BF16 in and out, F32 compute). That makes
// this backend the reference for the CUDA backend's reduced-precision ops, as it is for F32.
public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// The F32 twins of one op's F16/BF16 tensors. <see cref="In"/> and <see cref="Out"/> give the twin (or the tensor
    /// itself when it is not reduced); <see cref="Commit"/> rounds the outputs back; Dispose frees the twins. A tensor
    /// named twice gets one twin, so in-place ops stay in place. All reduced tensors of an op share one dtype, and a
    /// floating tensor beside them must have it too, except those passed to <see cref="Param"/> (batch-norm
    /// parameters and statistics stay F32 in mixed precision, as cuDNN wants them).
    /// </summary>
    private sealed class Widened(string op, DType reduced) : IDisposable
    {
        private readonly List<(Tensor Original, Tensor Wide, bool Output)> _twins = [];

        /// <summary>Runs <paramref name="op"/> on the twins it asks for and rounds its outputs back.</summary>
        public static void Run(string name, DType reduced, Action<Widened> op)
        {
            using var wide = new Widened(name, reduced);
            op(wide);
            wide.Commit();
        }

        /// <summary>The same for an op that returns a value (a loss, a sum).</summary>
        public static T Run<T>(string name, DType reduced, Func<Widened, T> op)
        {
            using var wide = new Widened(name, reduced);
            var result = op(wide);
            wide.Commit();
            return result;
        }

        /// <summary>The reduced dtype (F16 or BF16) among the tensors, or null when none is reduced.</summary>
        public static DType? Find(Tensor? a, Tensor? b = null, Tensor? c = null, Tensor? d = null, Tensor? e = null, Tensor? f = null,
            Tensor? g = null, Tensor? h = null)
        {
            foreach (var t in (ReadOnlySpan<Tensor?>)[a, b, c, d, e, f, g, h])
                if (t is { DType: DType.F16 or DType.BF16 }) return t.DType;
            return null;
        }

        [return: NotNullIfNotNull(nameof(t))]
        public Tensor? In(Tensor? t) => t is null ? null : Twin(t, output: false, param: false);

        /// <summary>An output: its twin starts with its values (ops that accumulate, beta = 1, read them) and is rounded back on Commit.</summary>
        [return: NotNullIfNotNull(nameof(t))]
        public Tensor? Out(Tensor? t) => t is null ? null : Twin(t, output: true, param: false);

        /// <summary>A tensor that may be F32 beside reduced activations (batch-norm gamma, beta, statistics and their gradients).</summary>
        public Tensor Param(Tensor t, bool output = false) => Twin(t, output, param: true);

        private Tensor Twin(Tensor t, bool output, bool param)
        {
            for (var i = 0; i < _twins.Count; i++)
                if (ReferenceEquals(_twins[i].Original, t))
                {
                    if (output && !_twins[i].Output) _twins[i] = _twins[i] with { Output = true };
                    return _twins[i].Wide;
                }
            if (t.Device != Device.Cpu)
                throw new ArgumentException($"{op}: tensor {t} is on {t.Device}, expected {Device.Cpu}");
            if (t.DType is not (DType.F16 or DType.BF16))
            {
                if (t.DType.IsFloatingPoint() && !(param && t.DType == DType.F32))
                    throw new ArgumentException($"{op}: a {t.DType.Name()} tensor {t.ShapeText} beside {reduced.Name()} ones; " +
                        $"the floating tensors of one op share a dtype (batch-norm parameters may be f32)");
                return t;
            }
            if (t.DType != reduced)
                throw new ArgumentException($"{op}: {t.DType.Name()} and {reduced.Name()} tensors in one op; cast one of them first");
            // Pooled memory, not a new tensor per op: an allocation (and its zeroing) per op and tensor cost more than the conversion.
            // A vector of slack past the end, as CpuStorage gives, for kernels that read whole vectors past a row's last element.
            var memory = CpuScratch.Rent(t.Count * sizeof(float) + CpuStorage.Alignment, zeroed: false);
            var wide = Tensor.FromHostMemory((nint)memory, t.Dims.ToArray(), DType.F32, t.Layout);
            ToSingle(t, wide);
            _twins.Add((t, wide, output));
            return wide;
        }

        /// <summary>Rounds every output twin back into its tensor.</summary>
        public void Commit()
        {
            foreach (var (original, wide, output) in _twins)
                if (output) FromSingle(wide, original);
        }

        public void Dispose()
        {
            foreach (var (_, wide, _) in _twins)
            {
                CpuScratch.Return((void*)wide.Pointer);
                wide.Dispose();
            }
            _twins.Clear();
        }
    }

    /// <summary>F16 or BF16 to F32, exact.</summary>
    private static void ToSingle(Tensor source, Tensor destination)
    {
        var d = S<float>(destination);
        if (source.DType == DType.F16)
        {
            TensorPrimitives.ConvertToSingle(S<Half>(source), d);
            return;
        }
        var s = S<ushort>(source);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 16 <= s.Length; i += 16)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Create<ushort>(s[i..]));
                Vector256.ShiftLeft(lo, 16).AsSingle().CopyTo(d[i..]);
                Vector256.ShiftLeft(hi, 16).AsSingle().CopyTo(d[(i + 8)..]);
            }
        for (; i < s.Length; i++) d[i] = BFloat16.ToSingle(s[i]);
    }

    /// <summary>F32 to F16 or BF16, rounded to nearest even (overflow to infinity for F16; NaN stays NaN).</summary>
    private static void FromSingle(Tensor source, Tensor destination)
    {
        var s = S<float>(source);
        if (destination.DType == DType.F16)
        {
            TensorPrimitives.ConvertToHalf(s, S<Half>(destination));
            return;
        }
        var d = S<ushort>(destination);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256.Create(1u);
            var bias = Vector256.Create(0x7FFFu);
            var absMask = Vector256.Create(0x7FFFFFFFu);
            var infinity = Vector256.Create(0x7F800000u);
            var quiet = Vector256.Create(0x40u);
            for (; i + 16 <= s.Length; i += 16)
            {
                var lo = Round(Vector256.Create<float>(s[i..]).AsUInt32());
                var hi = Round(Vector256.Create<float>(s[(i + 8)..]).AsUInt32());
                Vector256.Narrow(lo, hi).CopyTo(d[i..]);
            }

            Vector256<uint> Round(Vector256<uint> bits)
            {
                var rounded = Vector256.ShiftRightLogical(bits + bias + (Vector256.ShiftRightLogical(bits, 16) & one), 16);
                var nan = Vector256.GreaterThan(bits & absMask, infinity);
                return Vector256.ConditionalSelect(nan, Vector256.ShiftRightLogical(bits, 16) | quiet, rounded);
            }
        }
        for (; i < s.Length; i++) d[i] = BFloat16.FromSingle(s[i]);
    }

    public override bool UnscaleGradients(IReadOnlyList<Tensor> grads, IReadOnlyList<Tensor> masterGrads, double inverseScale)
    {
        const string op = nameof(UnscaleGradients);
        Check.Unscale(op, Device, grads, masterGrads);
        var finite = true;
        for (var i = 0; i < grads.Count; i++)
        {
            var (g, m) = (grads[i], masterGrads[i]);
            if (m.DType == DType.F64)
            {
                if (!ReferenceEquals(g, m)) Copy(g, m);
                var md = S<double>(m);
                TensorPrimitives.Multiply(md, inverseScale, md);
                foreach (var v in md) finite &= double.IsFinite(v);
                continue;
            }
            if (!ReferenceEquals(g, m))
            {
                if (g.DType == DType.F32) Copy(g, m);
                else ToSingle(g, m);
            }
            var ms = S<float>(m);
            TensorPrimitives.Multiply(ms, (float)inverseScale, ms);
            finite &= !HasNonFinite(ms);
        }
        return finite;
    }

    /// <summary>True when a value is infinite or NaN: all exponent bits set.</summary>
    private static bool HasNonFinite(ReadOnlySpan<float> values)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var exponent = Vector256.Create(0x7F800000u);
            var any = Vector256<uint>.Zero;
            for (; i + 8 <= values.Length; i += 8)
                any |= Vector256.Equals(Vector256.Create(values[i..]).AsUInt32() & exponent, exponent);
            if (any != Vector256<uint>.Zero) return true;
        }
        for (; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return true;
        return false;
    }
}
