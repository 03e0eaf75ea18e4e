using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NativeNets.Native;

/// <summary>
/// Raw bindings to cuDNN 9's legacy descriptor API (libcudnn.so.9; declarations as in cudnn_graph.h, cudnn_ops.h
/// and cudnn_cnn.h of 9.x, which split v8's *_infer/*_train headers). cuDNN 9 marks most of this API deprecated in
/// favour of the graph API but still exports it. Handles and descriptors are <c>nint</c>, owned by the SafeHandles
/// in CudnnHandles.cs; device buffers are <c>nint</c>. The scaling factors alpha and beta are host pointers to a
/// float for float/half/bfloat16 data and to a double for double data; every op computes
/// y = alpha op(x) + beta y, so beta = 0 overwrites and beta = 1 accumulates.
/// </summary>
public static unsafe partial class Cudnn
{
    /// <summary>Deprecated alias of <see cref="cudnnStatus_t.CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED"/>.</summary>
    public const cudnnStatus_t CUDNN_STATUS_ALLOC_FAILED = cudnnStatus_t.CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED;
    /// <summary>Deprecated alias of <see cref="cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH"/>.</summary>
    public const cudnnStatus_t CUDNN_STATUS_ARCH_MISMATCH = cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH;
    /// <summary>Deprecated alias of <see cref="cudnnStatus_t.CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED"/>.</summary>
    public const cudnnStatus_t CUDNN_STATUS_MAPPING_ERROR = cudnnStatus_t.CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED;
    /// <summary>Deprecated alias of <see cref="cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING"/>.</summary>
    public const cudnnStatus_t CUDNN_STATUS_RUNTIME_PREREQUISITE_MISSING = cudnnStatus_t.CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING;
    /// <summary>Deprecated alias of <see cref="cudnnStatus_t.CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH"/>.</summary>
    public const cudnnStatus_t CUDNN_STATUS_VERSION_MISMATCH = cudnnStatus_t.CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH;

    /// <summary>Smallest epsilon batch normalisation accepts (CUDNN_BN_MIN_EPSILON).</summary>
    public const double CUDNN_BN_MIN_EPSILON = 0.0;
    /// <summary>Smallest LRN window (CUDNN_LRN_MIN_N).</summary>
    public const uint CUDNN_LRN_MIN_N = 1;
    /// <summary>Largest LRN window (CUDNN_LRN_MAX_N).</summary>
    public const uint CUDNN_LRN_MAX_N = 16;
    /// <summary>Smallest LRN k (CUDNN_LRN_MIN_K).</summary>
    public const double CUDNN_LRN_MIN_K = 1e-5;
    /// <summary>Smallest LRN beta (CUDNN_LRN_MIN_BETA).</summary>
    public const double CUDNN_LRN_MIN_BETA = 0.01;
    /// <summary>Most tensor dimensions cuDNN accepts (CUDNN_DIM_MAX).</summary>
    public const int CUDNN_DIM_MAX = 8;

    // ---- Library, handle, errors (cudnn_graph.h) ----

    /// <summary>The library version as major*10000 + minor*100 + patch (91400 for 9.14.0).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial nuint cudnnGetVersion();

    /// <summary>The CUDA runtime version cuDNN was built against (12090 or 13000 style).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial nuint cudnnGetCudartVersion();

    /// <summary>A status's description as a static C string.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial byte* cudnnGetErrorString(cudnnStatus_t status);

    /// <summary>Copies this thread's most recent error message (NUL-terminated, cut to <paramref name="max_size"/>) and clears it; cuDNN 9+.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial void cudnnGetLastErrorString(byte* message, nuint max_size);

    /// <summary>Creates a cuDNN context on the current device; pair with <see cref="cudnnDestroy"/> (or use <see cref="CudnnHandle"/>).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnCreate(nint* handle);

    /// <summary>Releases a context (it synchronises the device).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnDestroy(nint handle);

    /// <summary>Makes later calls on this handle run on <paramref name="streamId"/>.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnSetStream(nint handle, nint streamId);

    /// <summary>The stream the handle's calls run on.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnGetStream(nint handle, nint* streamId);

    // ---- Tensors (cudnn_ops.h) ----

    /// <summary>Creates an unset tensor descriptor.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnCreateTensorDescriptor(nint* tensorDesc);

    /// <summary>Releases a tensor descriptor.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnDestroyTensorDescriptor(nint tensorDesc);

    /// <summary>Describes a packed 4-d tensor: note the order (format, then data type), the reverse of the filter setter.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnSetTensor4dDescriptor(nint tensorDesc, cudnnTensorFormat_t format, cudnnDataType_t dataType,
        int n, int c, int h, int w);

    /// <summary>Describes a 4-d tensor with explicit strides in elements.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnSetTensor4dDescriptorEx(nint tensorDesc, cudnnDataType_t dataType,
        int n, int c, int h, int w, int nStride, int cStride, int hStride, int wStride);

    /// <summary>Describes an n-d tensor (3 to CUDNN_DIM_MAX dims) from host arrays of dims and strides.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnSetTensorNdDescriptor(nint tensorDesc, cudnnDataType_t dataType, int nbDims, int* dimA, int* strideA);

    /// <summary>Bytes the described tensor spans.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnGetTensorSizeInBytes(nint tensorDesc, nuint* size);

    /// <summary>C = alpha A + beta C, with A broadcast where its dimensions are 1 (bias addition).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnAddTensor(nint handle, void* alpha, nint aDesc, nint A, void* beta, nint cDesc, nint C);

    /// <summary>Sets every element of y to *valuePtr (of y's data type).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnSetTensor(nint handle, nint yDesc, nint y, void* valuePtr);

    /// <summary>y = alpha y.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnScaleTensor(nint handle, nint yDesc, nint y, void* alpha);

    /// <summary>Creates an unset element-wise operation descriptor.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnCreateOpTensorDescriptor(nint* opTensorDesc);

    /// <summary>Sets the operation, its compute type and NaN handling.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnSetOpTensorDescriptor(nint opTensorDesc, cudnnOpTensorOp_t opTensorOp,
        cudnnDataType_t opTensorCompType, cudnnNanPropagation_t opTensorNanOpt);

    /// <summary>Releases an element-wise operation descriptor.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnDestroyOpTensorDescriptor(nint opTensorDesc);

    /// <summary>C = op(alpha1 A, alpha2 B) + beta C (B ignored for SQRT and NOT; B may broadcast).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnOpTensor(nint handle, nint opTensorDesc,
        void* alpha1, nint aDesc, nint A, void* alpha2, nint bDesc, nint B, void* beta, nint cDesc, nint C);

    // ---- Filters ----

    /// <summary>Creates an unset filter descriptor.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnCreateFilterDescriptor(nint* filterDesc);

    /// <summary>Releases a filter descriptor.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnDestroyFilterDescriptor(nint filterDesc);

    /// <summary>Describes a k x c x h x w filter: note the order (data type, then format), the reverse of the tensor setter.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnSetFilter4dDescriptor(nint filterDesc, cudnnDataType_t dataType, cudnnTensorFormat_t format,
        int k, int c, int h, int w);

    // ---- Convolution (cudnn_cnn.h) ----

    /// <summary>Creates an unset convolution descriptor.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnCreateConvolutionDescriptor(nint* convDesc);

    /// <summary>Releases a convolution descriptor.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnDestroyConvolutionDescriptor(nint convDesc);

    /// <summary>Padding, strides (u vertical, v horizontal), dilations, mode and the accumulation type.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnSetConvolution2dDescriptor(nint convDesc, int pad_h, int pad_w, int u, int v,
        int dilation_h, int dilation_w, cudnnConvolutionMode_t mode, cudnnDataType_t computeType);

    /// <summary>Number of groups (grouped and depthwise convolution); the filter's c is then C / groups.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnSetConvolutionGroupCount(nint convDesc, int groupCount);

    /// <summary>Whether the convolution may use tensor cores; set the mathType an algorithm's perf result reports.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnSetConvolutionMathType(nint convDesc, cudnnMathType_t mathType);

    /// <summary>The output dimensions of the described forward convolution.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(nint convDesc, nint inputTensorDesc, nint filterDesc,
        int* n, int* c, int* h, int* w);

    /// <summary>How many forward perf results Find/Get can return (size of the array to pass).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnGetConvolutionForwardAlgorithmMaxCount(nint handle, int* count);

    /// <summary>Heuristic ranking of forward algorithms, without running them (time is -1).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(nint handle, nint srcDesc, nint filterDesc, nint convDesc,
        nint destDesc, int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t* perfResults);

    /// <summary>Times every forward algorithm on buffers cuDNN allocates itself, fastest first.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnFindConvolutionForwardAlgorithm(nint handle, nint xDesc, nint wDesc, nint convDesc, nint yDesc,
        int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t* perfResults);

    /// <summary>Times the forward algorithms on our buffers (y is overwritten) within the given workspace, fastest first.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnFindConvolutionForwardAlgorithmEx(nint handle, nint xDesc, nint x, nint wDesc, nint w,
        nint convDesc, nint yDesc, nint y, int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t* perfResults,
        nint workSpace, nuint workSpaceSizeInBytes);

    /// <summary>Workspace bytes a forward algorithm needs for these descriptors.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(nint handle, nint xDesc, nint wDesc, nint convDesc, nint yDesc,
        cudnnConvolutionFwdAlgo_t algo, nuint* sizeInBytes);

    /// <summary>y = alpha conv(x, w) + beta y.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnConvolutionForward(nint handle, void* alpha, nint xDesc, nint x, nint wDesc, nint w,
        nint convDesc, cudnnConvolutionFwdAlgo_t algo, nint workSpace, nuint workSpaceSizeInBytes, void* beta, nint yDesc, nint y);

    /// <summary>
    /// y = act(alpha1 conv(x, w) + alpha2 z + bias), fused. The activation must be RELU, or IDENTITY with
    /// IMPLICIT_PRECOMP_GEMM; z may be y itself.
    /// </summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnConvolutionBiasActivationForward(nint handle, void* alpha1, nint xDesc, nint x, nint wDesc, nint w,
        nint convDesc, cudnnConvolutionFwdAlgo_t algo, nint workSpace, nuint workSpaceSizeInBytes,
        void* alpha2, nint zDesc, nint z, nint biasDesc, nint bias, nint activationDesc, nint yDesc, nint y);

    /// <summary>How many backward-data perf results Find/Get can return.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithmMaxCount(nint handle, int* count);

    /// <summary>Times every backward-data algorithm on buffers cuDNN allocates, fastest first.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithm(nint handle, nint wDesc, nint dyDesc, nint convDesc, nint dxDesc,
        int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionBwdDataAlgoPerf_t* perfResults);

    /// <summary>Times the backward-data algorithms on our buffers (dx is overwritten), fastest first.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithmEx(nint handle, nint wDesc, nint w, nint dyDesc, nint dy,
        nint convDesc, nint dxDesc, nint dx, int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionBwdDataAlgoPerf_t* perfResults,
        nint workSpace, nuint workSpaceSizeInBytes);

    /// <summary>Heuristic ranking of backward-data algorithms, without running them.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(nint handle, nint filterDesc, nint diffDesc, nint convDesc,
        nint gradDesc, int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionBwdDataAlgoPerf_t* perfResults);

    /// <summary>Workspace bytes a backward-data algorithm needs.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(nint handle, nint wDesc, nint dyDesc, nint convDesc, nint dxDesc,
        cudnnConvolutionBwdDataAlgo_t algo, nuint* sizeInBytes);

    /// <summary>dx = alpha conv^T(dy, w) + beta dx: the gradient with respect to the input.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnConvolutionBackwardData(nint handle, void* alpha, nint wDesc, nint w, nint dyDesc, nint dy,
        nint convDesc, cudnnConvolutionBwdDataAlgo_t algo, nint workSpace, nuint workSpaceSizeInBytes, void* beta, nint dxDesc, nint dx);

    /// <summary>How many backward-filter perf results Find/Get can return.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(nint handle, int* count);

    /// <summary>Times every backward-filter algorithm on buffers cuDNN allocates, fastest first.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithm(nint handle, nint xDesc, nint dyDesc, nint convDesc, nint dwDesc,
        int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionBwdFilterAlgoPerf_t* perfResults);

    /// <summary>Times the backward-filter algorithms on our buffers (dw is overwritten), fastest first. The header names dy's buffer <c>y</c>.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithmEx(nint handle, nint xDesc, nint x, nint dyDesc, nint y,
        nint convDesc, nint dwDesc, nint dw, int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionBwdFilterAlgoPerf_t* perfResults,
        nint workSpace, nuint workSpaceSizeInBytes);

    /// <summary>Heuristic ranking of backward-filter algorithms, without running them.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithm_v7(nint handle, nint srcDesc, nint diffDesc, nint convDesc,
        nint gradDesc, int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionBwdFilterAlgoPerf_t* perfResults);

    /// <summary>Workspace bytes a backward-filter algorithm needs.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(nint handle, nint xDesc, nint dyDesc, nint convDesc,
        nint gradDesc, cudnnConvolutionBwdFilterAlgo_t algo, nuint* sizeInBytes);

    /// <summary>dw = alpha corr(x, dy) + beta dw: the gradient with respect to the filter (beta = 1 accumulates).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnConvolutionBackwardFilter(nint handle, void* alpha, nint xDesc, nint x, nint dyDesc, nint dy,
        nint convDesc, cudnnConvolutionBwdFilterAlgo_t algo, nint workSpace, nuint workSpaceSizeInBytes, void* beta, nint dwDesc, nint dw);

    /// <summary>db = alpha sum over N,H,W of dy + beta db: the bias gradient (db is 1 x C x 1 x 1).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnConvolutionBackwardBias(nint handle, void* alpha, nint dyDesc, nint dy, void* beta, nint dbDesc, nint db);

    // ---- Pooling ----

    /// <summary>Creates an unset pooling descriptor.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnCreatePoolingDescriptor(nint* poolingDesc);

    /// <summary>Releases a pooling descriptor.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnDestroyPoolingDescriptor(nint poolingDesc);

    /// <summary>Mode, NaN handling, window, padding and strides of a 2-d pooling.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnSetPooling2dDescriptor(nint poolingDesc, cudnnPoolingMode_t mode, cudnnNanPropagation_t maxpoolingNanOpt,
        int windowHeight, int windowWidth, int verticalPadding, int horizontalPadding, int verticalStride, int horizontalStride);

    /// <summary>The output dimensions of the described pooling (floor division, as cuDNN computes them).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnGetPooling2dForwardOutputDim(nint poolingDesc, nint inputTensorDesc, int* n, int* c, int* h, int* w);

    /// <summary>y = alpha pool(x) + beta y.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnPoolingForward(nint handle, nint poolingDesc, void* alpha, nint xDesc, nint x, void* beta, nint yDesc, nint y);

    /// <summary>dx = alpha pool'(y, dy, x) + beta dx; needs the forward's x and y.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnPoolingBackward(nint handle, nint poolingDesc, void* alpha, nint yDesc, nint y, nint dyDesc, nint dy,
        nint xDesc, nint x, void* beta, nint dxDesc, nint dx);

    // ---- Local response normalisation ----

    /// <summary>Creates an LRN descriptor (defaults n=5, alpha=1e-4, beta=0.75, k=2, as in AlexNet).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnCreateLRNDescriptor(nint* normDesc);

    /// <summary>Releases an LRN descriptor.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnDestroyLRNDescriptor(nint lrnDesc);

    /// <summary>Window size n, alpha, beta and k. cuDNN divides alpha by n (as Caffe does), unlike the AlexNet paper's formula.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnSetLRNDescriptor(nint normDesc, uint lrnN, double lrnAlpha, double lrnBeta, double lrnK);

    /// <summary>y = alpha LRN(x) + beta y across channels.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnLRNCrossChannelForward(nint handle, nint normDesc, cudnnLRNMode_t lrnMode,
        void* alpha, nint xDesc, nint x, void* beta, nint yDesc, nint y);

    /// <summary>dx = alpha LRN'(y, dy, x) + beta dx.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnLRNCrossChannelBackward(nint handle, nint normDesc, cudnnLRNMode_t lrnMode,
        void* alpha, nint yDesc, nint y, nint dyDesc, nint dy, nint xDesc, nint x, void* beta, nint dxDesc, nint dx);

    // ---- Activation ----

    /// <summary>Creates an unset activation descriptor.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnCreateActivationDescriptor(nint* activationDesc);

    /// <summary>Releases an activation descriptor.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnDestroyActivationDescriptor(nint activationDesc);

    /// <summary>Mode, NaN handling and coef (the ceiling of CLIPPED_RELU, the alpha of ELU).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnSetActivationDescriptor(nint activationDesc, cudnnActivationMode_t mode, cudnnNanPropagation_t reluNanOpt, double coef);

    /// <summary>y = alpha act(x) + beta y (may run in place).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnActivationForward(nint handle, nint activationDesc, void* alpha, nint xDesc, nint x, void* beta, nint yDesc, nint y);

    /// <summary>dx = alpha act'(y, dy, x) + beta dx.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnActivationBackward(nint handle, nint activationDesc, void* alpha, nint yDesc, nint y, nint dyDesc, nint dy,
        nint xDesc, nint x, void* beta, nint dxDesc, nint dx);

    // ---- Softmax ----

    /// <summary>y = alpha softmax(x) + beta y.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnSoftmaxForward(nint handle, cudnnSoftmaxAlgorithm_t algo, cudnnSoftmaxMode_t mode,
        void* alpha, nint xDesc, nint x, void* beta, nint yDesc, nint y);

    /// <summary>dx = alpha softmax'(y, dy) + beta dx.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnSoftmaxBackward(nint handle, cudnnSoftmaxAlgorithm_t algo, cudnnSoftmaxMode_t mode,
        void* alpha, nint yDesc, nint y, nint dyDesc, nint dy, void* beta, nint dxDesc, nint dx);

    // ---- Batch normalisation ----

    /// <summary>Fills <paramref name="derivedBnDesc"/> with the shape of scale, bias, mean and variance for x and the mode (1xCx1x1 for spatial).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnDeriveBNTensorDescriptor(nint derivedBnDesc, nint xDesc, cudnnBatchNormMode_t mode);

    /// <summary>
    /// Training forward: normalises with the batch statistics, updates the running mean/variance with
    /// <paramref name="exponentialAverageFactor"/> (running = new factor + running (1 - factor)) and optionally saves
    /// the batch mean and inverse std for the backward pass (pass 0 for both to skip).
    /// </summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnBatchNormalizationForwardTraining(nint handle, cudnnBatchNormMode_t mode,
        void* alpha, void* beta, nint xDesc, nint x, nint yDesc, nint y,
        nint bnScaleBiasMeanVarDesc, nint bnScale, nint bnBias,
        double exponentialAverageFactor, nint resultRunningMean, nint resultRunningVariance,
        double epsilon, nint resultSaveMean, nint resultSaveInvVariance);

    /// <summary>Inference forward: y = scale (x - mean) / sqrt(var + eps) + bias with the running statistics.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnBatchNormalizationForwardInference(nint handle, cudnnBatchNormMode_t mode,
        void* alpha, void* beta, nint xDesc, nint x, nint yDesc, nint y,
        nint bnScaleBiasMeanVarDesc, nint bnScale, nint bnBias, nint estimatedMean, nint estimatedVariance, double epsilon);

    /// <summary>
    /// Backward: dx (blended by alphaDataDiff/betaDataDiff) and dScale, dBias (blended by alphaParamDiff/betaParamDiff),
    /// from the saved mean and inverse std of the forward (or 0 to recompute them).
    /// </summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnBatchNormalizationBackward(nint handle, cudnnBatchNormMode_t mode,
        void* alphaDataDiff, void* betaDataDiff, void* alphaParamDiff, void* betaParamDiff,
        nint xDesc, nint x, nint dyDesc, nint dy, nint dxDesc, nint dx,
        nint dBnScaleBiasDesc, nint bnScale, nint dBnScaleResult, nint dBnBiasResult,
        double epsilon, nint savedMean, nint savedInvVariance);

    /// <summary>Workspace bytes of <see cref="cudnnBatchNormalizationForwardTrainingEx"/> (zDesc and activationDesc may be 0 where unused).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnGetBatchNormalizationForwardTrainingExWorkspaceSize(nint handle, cudnnBatchNormMode_t mode,
        cudnnBatchNormOps_t bnOps, nint xDesc, nint zDesc, nint yDesc, nint bnScaleBiasMeanVarDesc, nint activationDesc, nuint* sizeInBytes);

    /// <summary>Workspace bytes of <see cref="cudnnBatchNormalizationBackwardEx"/>.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnGetBatchNormalizationBackwardExWorkspaceSize(nint handle, cudnnBatchNormMode_t mode,
        cudnnBatchNormOps_t bnOps, nint xDesc, nint yDesc, nint dyDesc, nint dzDesc, nint dxDesc, nint dBnScaleBiasDesc, nint activationDesc,
        nuint* sizeInBytes);

    /// <summary>Reserve-space bytes the Ex forward writes and the Ex backward reads (the activation bit-mask and the like).</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnGetBatchNormalizationTrainingExReserveSpaceSize(nint handle, cudnnBatchNormMode_t mode,
        cudnnBatchNormOps_t bnOps, nint activationDesc, nint xDesc, nuint* sizeInBytes);

    /// <summary>
    /// Training forward with fusion: y = act(BN(x) [+ z]) per <paramref name="bnOps"/>. cuDNN documents the fused ops
    /// for SPATIAL_PERSISTENT with NHWC half data (C a multiple of 4); the reserve space must be kept for the backward.
    /// </summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnBatchNormalizationForwardTrainingEx(nint handle, cudnnBatchNormMode_t mode, cudnnBatchNormOps_t bnOps,
        void* alpha, void* beta, nint xDesc, nint xData, nint zDesc, nint zData, nint yDesc, nint yData,
        nint bnScaleBiasMeanVarDesc, nint bnScale, nint bnBias,
        double exponentialAverageFactor, nint resultRunningMean, nint resultRunningVariance,
        double epsilon, nint resultSaveMean, nint resultSaveInvVariance,
        nint activationDesc, nint workspace, nuint workSpaceSizeInBytes, nint reserveSpace, nuint reserveSpaceSizeInBytes);

    /// <summary>Backward of <see cref="cudnnBatchNormalizationForwardTrainingEx"/>: dx, dz (with ADD), dScale and dBias; needs y and bnBias when an activation was fused.</summary>
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial cudnnStatus_t cudnnBatchNormalizationBackwardEx(nint handle, cudnnBatchNormMode_t mode, cudnnBatchNormOps_t bnOps,
        void* alphaDataDiff, void* betaDataDiff, void* alphaParamDiff, void* betaParamDiff,
        nint xDesc, nint xData, nint yDesc, nint yData, nint dyDesc, nint dyData, nint dzDesc, nint dzData, nint dxDesc, nint dxData,
        nint dBnScaleBiasDesc, nint bnScaleData, nint bnBiasData, nint dBnScaleData, nint dBnBiasData,
        double epsilon, nint savedMean, nint savedInvVariance,
        nint activationDesc, nint workSpace, nuint workSpaceSizeInBytes, nint reserveSpace, nuint reserveSpaceSizeInBytes);

    // ---- Status checking ----

    /// <summary>
    /// Throws a <see cref="CudnnException"/> naming the call (as written at the call site), the status, cuDNN's text
    /// for it and, where cuDNN recorded one, its detailed last-error message; does nothing on success.
    /// </summary>
    public static void Check(cudnnStatus_t status,
        [CallerArgumentExpression(nameof(status))] string call = "",
        [CallerFilePath] string file = "",
        [CallerLineNumber] int line = 0)
    {
        if (status == cudnnStatus_t.CUDNN_STATUS_SUCCESS) return;
        var text = StatusText(status);
        var detail = LastErrorString();
        if (detail is not null) text = $"{text}; {detail}";
        throw new CudnnException(call, status, StatusName(status), text, file, line);
    }

    /// <summary>The native name of a status (works without the library: the enum mirrors the header).</summary>
    public static string StatusName(cudnnStatus_t status) =>
        Enum.IsDefined(status) ? status.ToString() : $"CUDNN_STATUS_{(int)status}";

    /// <summary>cuDNN's text for a status, or its name where the library cannot be called.</summary>
    public static string StatusText(cudnnStatus_t status) =>
        NativeStatusText.Read(NativeLibraries.Cudnn, () => (nint)cudnnGetErrorString(status)) ?? StatusName(status);

    /// <summary>This thread's last cuDNN error message (cuDNN 9+), or null where there is none or the library cannot be called.</summary>
    public static string? LastErrorString()
    {
        if (!NativeLibraries.Load(NativeLibraries.Cudnn).Found) return null;
        const int size = 2048;
        var buffer = stackalloc byte[size];
        buffer[0] = 0;
        try
        {
            cudnnGetLastErrorString(buffer, size);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or NativeLibraryNotFoundException or BadImageFormatException)
        {
            return null;
        }
        buffer[size - 1] = 0;
        var text = Marshal.PtrToStringUTF8((nint)buffer)?.Trim();
        return string.IsNullOrEmpty(text) ? null : text;
    }
}

/// <summary>A cuDNN call returned an error status.</summary>
public sealed class CudnnException : NativeCallException
{
    /// <summary>Builds the exception from the failed call's text and status (see <see cref="Cudnn.Check"/>).</summary>
    public CudnnException(string call, cudnnStatus_t status, string statusName, string statusText, string file, int line)
        : base(NativeLibraries.Cudnn, call, (int)status, statusName, statusText, file, line)
    {
        CudnnStatus = status;
    }

    /// <summary>The status, typed.</summary>
    public cudnnStatus_t CudnnStatus { get; }
}
