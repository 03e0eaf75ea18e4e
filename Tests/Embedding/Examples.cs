using NativeNets.Data.Images;
using NativeNets.Data.Transforms;
using NativeNets.Losses;
using NativeNets.Modules;
using NativeNets.Native;
using NativeNets.Nets.Architectures;
using NativeNets.Nets.Weights;
using NativeNets.Optim;
using NativeNets.Tensors;

namespace NativeNets.Tests.Embedding;

// The three worked examples of docs/embedding.md, compiled and run by EmbeddingExampleTests. The document shows these
// lines as they are (a test checks it): change them here and there together.

/// <summary>The worked examples of docs/embedding.md.</summary>
public static class Examples
{
    // ---- Example 1: a cuDNN convolution through NativeNets.Native alone ----

    /// <summary>
    /// y = conv2d(x, w), cross-correlation as in PyTorch, on CUDA device 0, with the embedder's own buffers.
    /// x is NCHW [n, c, h, w]; w is KCRS [k, c, r, s]. Returns y (NCHW) and its dims.
    /// </summary>
    public static unsafe float[] CudnnConvolution(float[] x, int[] xDims, float[] w, int[] wDims, int pad, int stride, out int[] yDims)
    {
        Cuda.Check(Cuda.cuInit(0));
        nint context;
        Cuda.Check(Cuda.cuDevicePrimaryCtxRetain(&context, 0));
        Cuda.Check(Cuda.cuCtxSetCurrent(context));
        nint handle = 0, xDesc = 0, wDesc = 0, yDesc = 0, convDesc = 0;
        nint xDev = 0, wDev = 0, yDev = 0, workspace = 0;
        try
        {
            Cudnn.Check(Cudnn.cudnnCreate(&handle)); // no stream set: cuDNN works on the default stream
            var f32 = cudnnDataType_t.CUDNN_DATA_FLOAT;
            var nchw = cudnnTensorFormat_t.CUDNN_TENSOR_NCHW;
            Cudnn.Check(Cudnn.cudnnCreateTensorDescriptor(&xDesc));
            Cudnn.Check(Cudnn.cudnnSetTensor4dDescriptor(xDesc, nchw, f32, xDims[0], xDims[1], xDims[2], xDims[3]));
            Cudnn.Check(Cudnn.cudnnCreateFilterDescriptor(&wDesc));
            Cudnn.Check(Cudnn.cudnnSetFilter4dDescriptor(wDesc, f32, nchw, wDims[0], wDims[1], wDims[2], wDims[3]));
            Cudnn.Check(Cudnn.cudnnCreateConvolutionDescriptor(&convDesc));
            Cudnn.Check(Cudnn.cudnnSetConvolution2dDescriptor(convDesc, pad, pad, stride, stride, 1, 1,
                cudnnConvolutionMode_t.CUDNN_CROSS_CORRELATION, f32));
            int n, k, oh, ow;
            Cudnn.Check(Cudnn.cudnnGetConvolution2dForwardOutputDim(convDesc, xDesc, wDesc, &n, &k, &oh, &ow));
            Cudnn.Check(Cudnn.cudnnCreateTensorDescriptor(&yDesc));
            Cudnn.Check(Cudnn.cudnnSetTensor4dDescriptor(yDesc, nchw, f32, n, k, oh, ow));
            var y = new float[n * k * oh * ow];

            Cuda.Check(Cuda.cuMemAlloc(&xDev, (nuint)(x.Length * sizeof(float))));
            Cuda.Check(Cuda.cuMemAlloc(&wDev, (nuint)(w.Length * sizeof(float))));
            Cuda.Check(Cuda.cuMemAlloc(&yDev, (nuint)(y.Length * sizeof(float))));
            fixed (float* p = x) Cuda.Check(Cuda.cuMemcpyHtoD(xDev, p, (nuint)(x.Length * sizeof(float))));
            fixed (float* p = w) Cuda.Check(Cuda.cuMemcpyHtoD(wDev, p, (nuint)(w.Length * sizeof(float))));

            var algo = cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
            nuint workspaceBytes;
            Cudnn.Check(Cudnn.cudnnGetConvolutionForwardWorkspaceSize(handle, xDesc, wDesc, convDesc, yDesc, algo, &workspaceBytes));
            if (workspaceBytes > 0) Cuda.Check(Cuda.cuMemAlloc(&workspace, workspaceBytes));
            float alpha = 1, beta = 0;
            Cudnn.Check(Cudnn.cudnnConvolutionForward(handle, &alpha, xDesc, xDev, wDesc, wDev, convDesc, algo,
                workspace, workspaceBytes, &beta, yDesc, yDev));

            // A synchronous copy on the default stream waits for the convolution queued before it.
            fixed (float* p = y) Cuda.Check(Cuda.cuMemcpyDtoH(p, yDev, (nuint)(y.Length * sizeof(float))));
            yDims = [n, k, oh, ow];
            return y;
        }
        finally
        {
            if (workspace != 0) Cuda.cuMemFree(workspace);
            if (yDev != 0) Cuda.cuMemFree(yDev);
            if (wDev != 0) Cuda.cuMemFree(wDev);
            if (xDev != 0) Cuda.cuMemFree(xDev);
            if (convDesc != 0) Cudnn.cudnnDestroyConvolutionDescriptor(convDesc);
            if (yDesc != 0) Cudnn.cudnnDestroyTensorDescriptor(yDesc);
            if (wDesc != 0) Cudnn.cudnnDestroyFilterDescriptor(wDesc);
            if (xDesc != 0) Cudnn.cudnnDestroyTensorDescriptor(xDesc);
            if (handle != 0) Cudnn.cudnnDestroy(handle);
            Cuda.cuDevicePrimaryCtxRelease(0);
        }
    }

    // ---- Example 2: a custom layer and a custom network, trained ----

    /// <summary>
    /// y = a tanh(x) with a learnable amplitude a (one value, LeCun's 1.7159 at the start). Written with backend ops
    /// only, so it runs on any device and in any floating-point dtype (F64 for the gradient check).
    /// </summary>
    public sealed class ScaledTanh : Layer
    {
        private Tensor? _t; // tanh(x), kept for backward
        private Tensor? _y;
        private Tensor? _dx;

        public ScaledTanh(double amplitude = 1.7159, DType dtype = DType.F32, Device? device = null)
        {
            var a = new Tensor([1], dtype, device);
            a.Backend.Fill(a, amplitude);
            Amplitude = new Parameter(a, decay: false);
        }

        public Parameter Amplitude { get; }

        // The name is the parameter's state_dict key: "2.amplitude" inside a Sequential at index 2.
        protected override IEnumerable<(string Name, Parameter Parameter)> OwnParameters() => [("amplitude", Amplitude)];

        public override Tensor Forward(Tensor x)
        {
            var ops = x.Backend;
            var t = ReuseLike(ref _t, x);
            var y = ReuseLike(ref _y, x);
            ops.Tanh(x, t);
            ops.Copy(t, y);
            ops.Scale(y, ops.Sum(Amplitude.Value)); // the sum of one value is the value
            return y;
        }

        public override Tensor? Backward(Tensor dy)
        {
            var t = _t ?? throw BackwardBeforeForward(nameof(ScaledTanh));
            var ops = dy.Backend;
            // da += sum(dy * tanh(x)): a [1, n] x [n, 1] GEMM, accumulated (beta = 1) into the [1, 1] gradient.
            ops.Gemm(false, true, 1, dy.Reshape(1, -1), t.Reshape(1, -1), 1, Amplitude.Grad.Reshape(1, 1));
            if (!PropagateDown) return null;
            // dx = a dy (1 - tanh(x)^2)
            var dx = ReuseLike(ref _dx, dy);
            ops.TanhBackward(t, dy, dx);
            ops.Scale(dx, ops.Sum(Amplitude.Value));
            return dx;
        }

        protected override void DisposeBuffers()
        {
            _t?.Dispose();
            _y?.Dispose();
            _dx?.Dispose();
        }
    }

    /// <summary>
    /// Trains Linear(2, 32) - ScaledTanh - Linear(32, 3) on three Gaussian clusters in the plane with softmax
    /// cross-entropy and SGD; returns the loss of the first and of the last step and the final training accuracy.
    /// </summary>
    public static (double FirstLoss, double LastLoss, double Accuracy) TrainCustomNetwork(Device device, int steps = 200)
    {
        const int points = 300, classes = 3;
        var rng = new Rng(42);
        var features = new float[points * 2];
        var labels = new int[points];
        for (var i = 0; i < points; i++)
        {
            labels[i] = i % classes;
            var angle = 2 * Math.PI * labels[i] / classes;
            features[2 * i] = (float)(2 * Math.Cos(angle) + 0.7 * rng.NextGaussian());
            features[2 * i + 1] = (float)(2 * Math.Sin(angle) + 0.7 * rng.NextGaussian());
        }

        using var net = new Sequential(
            new Linear(2, 32, rng: new Rng(1), device: device),
            new ScaledTanh(device: device),
            new Linear(32, classes, rng: new Rng(2), device: device));
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new Sgd(net.Parameters(), learningRate: 0.05, momentum: 0.9);
        using var x = new Tensor([points, 2], DType.F32, device);
        using var y = new Tensor([points], DType.I32, device);
        x.CopyFrom<float>(features);
        y.CopyFrom<int>(labels);

        double first = 0, last = 0;
        for (var step = 0; step < steps; step++)
        {
            sgd.ZeroGrad();
            var scores = net.Forward(x);
            last = loss.Forward(scores, y);
            if (step == 0) first = last;
            net.Backward(loss.Backward());
            sgd.Step();
        }

        net.Training = false;
        var predicted = net.Forward(x).ToArray<float>();
        var correct = 0;
        for (var i = 0; i < points; i++)
        {
            var row = predicted.AsSpan(i * classes, classes);
            if (row.IndexOf(MaxOf(row)) == labels[i]) correct++;
        }
        return (first, last, (double)correct / points);

        static float MaxOf(ReadOnlySpan<float> values)
        {
            var max = values[0];
            foreach (var v in values) max = Math.Max(max, v);
            return max;
        }
    }

    // ---- Example 3: torchvision weights from safetensors, inference on an image ----

    /// <summary>
    /// Loads a torchvision resnet18 state_dict (safetensors) and classifies one image: returns the 1000 logits and prints
    /// the top-5 class indices. Everything made here is freed when the scope ends.
    /// </summary>
    public static float[] ClassifyImage(string weightsPath, string imagePath, out int[] top5)
    {
        using var scope = TensorScope.Begin();
        var model = Architectures.Create("resnet18");
        StateDict.Load(model.Network, weightsPath);
        model.Network.Training = false; // eval mode: BatchNorm uses the running statistics

        var image = ImageDecoder.DecodeFile(imagePath);
        var cropped = ImageNetTransforms.Eval().Apply(image, new Rng(0)); // Resize(256), CenterCrop(224)
        var pixels = Normalize.ImageNet.Apply(cropped);                     // ToTensor + Normalize, 3 x 224 x 224
        var input = Tensor.FromArray(pixels, 1, 3, cropped.Height, cropped.Width);

        var logits = model.Network.Forward(input).ToArray<float>(); // [1, 1000]
        top5 = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).Take(5).ToArray();
        Console.WriteLine($"top-5 classes: {string.Join(", ", top5)}");
        return logits;
    }
}
