using System.Runtime.InteropServices;
using NativeNets.Backends;
using NativeNets.Tensors;
using Xunit;

namespace NativeNets.Tests.Embedding;

/// <summary>What an embedder relies on: scopes that free what was made inside them, and tensors over memory they own.</summary>
public class EmbeddingTests
{
    [Fact]
    public void ScopeDisposesTheTensorsMadeInsideIt()
    {
        Tensor outside = Tensor.Zeros(4);
        Tensor a, b, view;
        using (var scope = TensorScope.Begin())
        {
            Assert.Same(scope, TensorScope.Current);
            a = Tensor.Zeros(2, 3);
            b = Tensor.FromArray(new float[] { 1, 2, 3 }, 3);
            view = a.Reshape(3, 2);
            Assert.Equal(2, scope.Count); // the view owns nothing and is not captured
            Assert.False(a.Storage.IsDisposed);
        }
        Assert.Null(TensorScope.Current);
        Assert.True(a.Storage.IsDisposed);
        Assert.True(b.Storage.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => view.Pointer);
        Assert.False(outside.Storage.IsDisposed);
        outside.Dispose();
    }

    [Fact]
    public void KeptTensorsOutliveTheScope()
    {
        Tensor kept, dropped;
        using (var scope = TensorScope.Begin())
        {
            dropped = Tensor.Zeros(8);
            kept = scope.Keep(Tensor.FromArray(new float[] { 5, 6 }, 2));
            Assert.Equal(1, scope.Count);
        }
        Assert.True(dropped.Storage.IsDisposed);
        Assert.False(kept.Storage.IsDisposed);
        Assert.Equal(new float[] { 5, 6 }, kept.ToArray<float>());
        kept.Dispose();
        Assert.True(kept.Storage.IsDisposed);
    }

    [Fact]
    public void DisposingEarlyInsideAScopeIsFine()
    {
        using var scope = TensorScope.Begin();
        var t = Tensor.Zeros(3);
        t.Dispose();
        t.Dispose();
        Assert.True(t.Storage.IsDisposed);
        scope.Dispose();
        scope.Dispose();
    }

    [Fact]
    public void ScopesNestAndKeptTensorsMoveToTheEnclosingScope()
    {
        Tensor outer, inner, keptOnce;
        using (var o = TensorScope.Begin())
        {
            outer = Tensor.Zeros(1);
            using (var i = TensorScope.Begin())
            {
                Assert.Same(o, i.Outer);
                inner = Tensor.Zeros(2);
                keptOnce = i.Keep(Tensor.Zeros(3));
                Assert.Equal(1, i.Count);
            }
            Assert.Same(o, TensorScope.Current);
            Assert.True(inner.Storage.IsDisposed);
            Assert.False(keptOnce.Storage.IsDisposed); // now the outer scope's
            Assert.False(outer.Storage.IsDisposed);
            Assert.Equal(2, o.Count);
        }
        Assert.True(outer.Storage.IsDisposed);
        Assert.True(keptOnce.Storage.IsDisposed);
    }

    [Fact]
    public void EndingAnOuterScopeEndsTheInnerScopesLeftOpen()
    {
        var o = TensorScope.Begin();
        var i = TensorScope.Begin();
        var t = Tensor.Zeros(2);
        o.Dispose();
        Assert.True(t.Storage.IsDisposed);
        Assert.Null(TensorScope.Current);
        Assert.Throws<ObjectDisposedException>(() => i.Keep(t));
    }

    [Fact]
    public void ScopesAreThreadLocal()
    {
        using var scope = TensorScope.Begin();
        Tensor? other = null;
        var thread = new Thread(() => other = Tensor.Zeros(4));
        thread.Start();
        thread.Join();
        Assert.Equal(0, scope.Count);
        scope.Dispose();
        Assert.False(other!.Storage.IsDisposed);
        other.Dispose();
    }

    [Fact]
    public unsafe void WrappedHostMemoryIsWrittenInPlaceAndNeverFreed()
    {
        var data = new float[] { -2, -1, 0, 1, 2, 3 };
        var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
        try
        {
            var x = Tensor.FromHostMemory(handle.AddrOfPinnedObject(), [2, 3], DType.F32);
            Assert.IsType<ExternalStorage>(x.Storage);
            Assert.Equal(handle.AddrOfPinnedObject(), x.Pointer);
            Assert.Equal(24, x.Storage.Bytes);
            x.Backend.Relu(x, x); // a CPU op, in place, on the caller's memory
            Assert.Equal(new float[] { 0, 0, 0, 1, 2, 3 }, data);
            x.Backend.Scale(x, 2);
            Assert.Equal(new float[] { 0, 0, 0, 2, 4, 6 }, data);
            x.Dispose();
            Assert.True(x.Storage.IsDisposed);
            Assert.Throws<ObjectDisposedException>(() => x.Pointer);
            data[0] = 7; // still the caller's, still alive
            Assert.Equal(7, data[0]);
        }
        finally
        {
            handle.Free();
        }
    }

    [Fact]
    public unsafe void WrappedNativeMemorySurvivesTheTensorAndItsScope()
    {
        const int n = 16;
        var p = (float*)NativeMemory.Alloc(n, sizeof(float));
        try
        {
            for (var i = 0; i < n; i++) p[i] = i;
            using (TensorScope.Begin())
            {
                var a = Tensor.FromHostMemory((nint)p, [4, 4], DType.F32);
                using var b = Tensor.FromArray(Enumerable.Repeat(1f, n).ToArray(), 4, 4);
                using var c = new Tensor([4, 4]);
                a.Backend.Add(a, b, c);
                Assert.Equal(16f, c.ToArray<float>()[15]);
                a.Backend.Copy(c, a); // writes into the caller's memory
                a.Dispose();
            }
            // The tensor and its scope are gone; the memory is not freed (writing and reading it is still fine).
            for (var i = 0; i < n; i++) Assert.Equal(i + 1, p[i]);
            p[0] = 42;
            Assert.Equal(42, p[0]);
        }
        finally
        {
            NativeMemory.Free(p);
        }
    }

    [Fact]
    public void WrappingChecksItsArguments()
    {
        Assert.Throws<ArgumentException>(() => Tensor.FromHostMemory(0, [2], DType.F32));
        Assert.Throws<ArgumentException>(() => Tensor.FromHostMemory(64, [-1], DType.F32));
        using var empty = Tensor.FromHostMemory(0, [0], DType.F32);
        Assert.Equal(0, empty.Count);
        var wrapped = Tensor.FromDevicePointer(4096, [2, 2], DType.F64, Device.Cuda(3));
        Assert.Equal(Device.Cuda(3), wrapped.Device);
        Assert.Equal(32, wrapped.Storage.Bytes);
        wrapped.Dispose(); // frees nothing (a device that may not exist is never touched)
    }

    [Fact]
    public unsafe void DevicePointersWrapWithoutACopy()
    {
        var count = CudaDevices.TryCount(out var reason);
        Assert.SkipWhen(count == 0, reason ?? "no CUDA device");
        var backend = CudaBackend.ForDevice(0);
        using var owned = Tensor.FromArray(new float[] { -1, 2, -3, 4 }, 4);
        using var onDevice = new Tensor([4], DType.F32, Device.Cuda(0));
        onDevice.CopyFrom<float>(owned.Span<float>());
        // Wrap the device address of an existing buffer as if it came from another library.
        var view = Tensor.FromDevicePointer(onDevice.Pointer, [2, 2], DType.F32, Device.Cuda(0));
        Assert.Same(backend, view.Backend);
        view.Backend.Relu(view, view);
        view.Dispose();
        Assert.False(onDevice.Storage.IsDisposed);
        Assert.Equal(new float[] { 0, 2, 0, 4 }, onDevice.ToArray<float>());
    }
}
