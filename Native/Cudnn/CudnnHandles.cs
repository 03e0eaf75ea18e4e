using Microsoft.Win32.SafeHandles;

namespace NativeNets.Native;

/// <summary>
/// Base of the SafeHandles that own cuDNN objects: a null pointer is invalid, <see cref="Value"/> hands the raw
/// pointer to the <c>nint</c> signatures, and release reports failure by returning false, never by throwing.
/// </summary>
public abstract class CudnnObjectHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Creates an empty (invalid) owner; the derived Create sets the handle once cuDNN has made it.</summary>
    protected CudnnObjectHandle() : base(ownsHandle: true) { }

    /// <summary>The raw pointer for the <c>nint</c> signatures; keep this object alive across the call.</summary>
    public nint Value => handle;

    /// <summary>Takes ownership of a pointer cuDNN returned.</summary>
    private protected void Own(nint raw) => SetHandle(raw);

    /// <summary>Disposes the half-made owner, then rethrows: used when a Set call after Create fails.</summary>
    private protected static T SetOrDispose<T>(T owner, Action<T> set) where T : CudnnObjectHandle
    {
        try
        {
            set(owner);
            return owner;
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }
}

/// <summary>Owns a cuDNN context (<c>cudnnHandle_t</c>); disposing it calls <c>cudnnDestroy</c>.</summary>
public sealed unsafe class CudnnHandle : CudnnObjectHandle
{
    private CudnnHandle() { }

    /// <summary>Creates a context on the current device (the CUDA context must be current on this thread).</summary>
    public static CudnnHandle Create()
    {
        var owner = new CudnnHandle();
        nint raw;
        Cudnn.Check(Cudnn.cudnnCreate(&raw));
        owner.Own(raw);
        return owner;
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Cudnn.cudnnDestroy(handle) == cudnnStatus_t.CUDNN_STATUS_SUCCESS;
}

/// <summary>Owns a tensor descriptor (<c>cudnnTensorDescriptor_t</c>).</summary>
public sealed unsafe class CudnnTensorDescriptor : CudnnObjectHandle
{
    private CudnnTensorDescriptor() { }

    /// <summary>Creates an unset descriptor.</summary>
    public static CudnnTensorDescriptor Create()
    {
        var owner = new CudnnTensorDescriptor();
        nint raw;
        Cudnn.Check(Cudnn.cudnnCreateTensorDescriptor(&raw));
        owner.Own(raw);
        return owner;
    }

    /// <summary>Creates a packed 4-d descriptor (cudnnSetTensor4dDescriptor).</summary>
    public static CudnnTensorDescriptor Create4d(cudnnTensorFormat_t format, cudnnDataType_t dataType, int n, int c, int h, int w) =>
        SetOrDispose(Create(), d => Cudnn.Check(Cudnn.cudnnSetTensor4dDescriptor(d.Value, format, dataType, n, c, h, w)));

    /// <summary>Creates an n-d descriptor with explicit strides in elements (cudnnSetTensorNdDescriptor).</summary>
    public static CudnnTensorDescriptor CreateNd(cudnnDataType_t dataType, ReadOnlySpan<int> dims, ReadOnlySpan<int> strides)
    {
        if (dims.Length != strides.Length)
            throw new ArgumentException($"{dims.Length} dims but {strides.Length} strides; cudnnSetTensorNdDescriptor needs one stride per dim", nameof(strides));
        var dimArray = dims.ToArray();
        var strideArray = strides.ToArray();
        return SetOrDispose(Create(), d =>
        {
            fixed (int* dimA = dimArray)
            fixed (int* strideA = strideArray)
                Cudnn.Check(Cudnn.cudnnSetTensorNdDescriptor(d.Value, dataType, dimArray.Length, dimA, strideA));
        });
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Cudnn.cudnnDestroyTensorDescriptor(handle) == cudnnStatus_t.CUDNN_STATUS_SUCCESS;
}

/// <summary>Owns a filter descriptor (<c>cudnnFilterDescriptor_t</c>).</summary>
public sealed unsafe class CudnnFilterDescriptor : CudnnObjectHandle
{
    private CudnnFilterDescriptor() { }

    /// <summary>Creates an unset descriptor.</summary>
    public static CudnnFilterDescriptor Create()
    {
        var owner = new CudnnFilterDescriptor();
        nint raw;
        Cudnn.Check(Cudnn.cudnnCreateFilterDescriptor(&raw));
        owner.Own(raw);
        return owner;
    }

    /// <summary>Creates a k x c x h x w descriptor (cudnnSetFilter4dDescriptor: data type first, then format).</summary>
    public static CudnnFilterDescriptor Create4d(cudnnDataType_t dataType, cudnnTensorFormat_t format, int k, int c, int h, int w) =>
        SetOrDispose(Create(), d => Cudnn.Check(Cudnn.cudnnSetFilter4dDescriptor(d.Value, dataType, format, k, c, h, w)));

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Cudnn.cudnnDestroyFilterDescriptor(handle) == cudnnStatus_t.CUDNN_STATUS_SUCCESS;
}

/// <summary>Owns a convolution descriptor (<c>cudnnConvolutionDescriptor_t</c>).</summary>
public sealed unsafe class CudnnConvolutionDescriptor : CudnnObjectHandle
{
    private CudnnConvolutionDescriptor() { }

    /// <summary>Creates an unset descriptor.</summary>
    public static CudnnConvolutionDescriptor Create()
    {
        var owner = new CudnnConvolutionDescriptor();
        nint raw;
        Cudnn.Check(Cudnn.cudnnCreateConvolutionDescriptor(&raw));
        owner.Own(raw);
        return owner;
    }

    /// <summary>Creates a 2-d convolution (cudnnSetConvolution2dDescriptor), usually CROSS_CORRELATION with a FLOAT compute type.</summary>
    public static CudnnConvolutionDescriptor Create2d(int padH, int padW, int strideH, int strideW, int dilationH, int dilationW,
        cudnnConvolutionMode_t mode, cudnnDataType_t computeType) =>
        SetOrDispose(Create(), d => Cudnn.Check(Cudnn.cudnnSetConvolution2dDescriptor(d.Value, padH, padW, strideH, strideW, dilationH, dilationW, mode, computeType)));

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Cudnn.cudnnDestroyConvolutionDescriptor(handle) == cudnnStatus_t.CUDNN_STATUS_SUCCESS;
}

/// <summary>Owns a pooling descriptor (<c>cudnnPoolingDescriptor_t</c>).</summary>
public sealed unsafe class CudnnPoolingDescriptor : CudnnObjectHandle
{
    private CudnnPoolingDescriptor() { }

    /// <summary>Creates an unset descriptor.</summary>
    public static CudnnPoolingDescriptor Create()
    {
        var owner = new CudnnPoolingDescriptor();
        nint raw;
        Cudnn.Check(Cudnn.cudnnCreatePoolingDescriptor(&raw));
        owner.Own(raw);
        return owner;
    }

    /// <summary>Creates a 2-d pooling (cudnnSetPooling2dDescriptor).</summary>
    public static CudnnPoolingDescriptor Create2d(cudnnPoolingMode_t mode, cudnnNanPropagation_t nanOpt, int windowH, int windowW,
        int padH, int padW, int strideH, int strideW) =>
        SetOrDispose(Create(), d => Cudnn.Check(Cudnn.cudnnSetPooling2dDescriptor(d.Value, mode, nanOpt, windowH, windowW, padH, padW, strideH, strideW)));

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Cudnn.cudnnDestroyPoolingDescriptor(handle) == cudnnStatus_t.CUDNN_STATUS_SUCCESS;
}

/// <summary>Owns a local response normalisation descriptor (<c>cudnnLRNDescriptor_t</c>).</summary>
public sealed unsafe class CudnnLrnDescriptor : CudnnObjectHandle
{
    private CudnnLrnDescriptor() { }

    /// <summary>Creates a descriptor with cuDNN's defaults (n=5, alpha=1e-4, beta=0.75, k=2).</summary>
    public static CudnnLrnDescriptor Create()
    {
        var owner = new CudnnLrnDescriptor();
        nint raw;
        Cudnn.Check(Cudnn.cudnnCreateLRNDescriptor(&raw));
        owner.Own(raw);
        return owner;
    }

    /// <summary>Creates a descriptor with these parameters (cudnnSetLRNDescriptor; cuDNN divides alpha by n).</summary>
    public static CudnnLrnDescriptor Create(uint n, double alpha, double beta, double k) =>
        SetOrDispose(Create(), d => Cudnn.Check(Cudnn.cudnnSetLRNDescriptor(d.Value, n, alpha, beta, k)));

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Cudnn.cudnnDestroyLRNDescriptor(handle) == cudnnStatus_t.CUDNN_STATUS_SUCCESS;
}

/// <summary>Owns an activation descriptor (<c>cudnnActivationDescriptor_t</c>).</summary>
public sealed unsafe class CudnnActivationDescriptor : CudnnObjectHandle
{
    private CudnnActivationDescriptor() { }

    /// <summary>Creates an unset descriptor.</summary>
    public static CudnnActivationDescriptor Create()
    {
        var owner = new CudnnActivationDescriptor();
        nint raw;
        Cudnn.Check(Cudnn.cudnnCreateActivationDescriptor(&raw));
        owner.Own(raw);
        return owner;
    }

    /// <summary>Creates a descriptor (cudnnSetActivationDescriptor); coef is the clipped-ReLU ceiling or the ELU alpha.</summary>
    public static CudnnActivationDescriptor Create(cudnnActivationMode_t mode, cudnnNanPropagation_t nanOpt, double coef = 0.0) =>
        SetOrDispose(Create(), d => Cudnn.Check(Cudnn.cudnnSetActivationDescriptor(d.Value, mode, nanOpt, coef)));

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Cudnn.cudnnDestroyActivationDescriptor(handle) == cudnnStatus_t.CUDNN_STATUS_SUCCESS;
}

/// <summary>Owns an element-wise operation descriptor (<c>cudnnOpTensorDescriptor_t</c>).</summary>
public sealed unsafe class CudnnOpTensorDescriptor : CudnnObjectHandle
{
    private CudnnOpTensorDescriptor() { }

    /// <summary>Creates an unset descriptor.</summary>
    public static CudnnOpTensorDescriptor Create()
    {
        var owner = new CudnnOpTensorDescriptor();
        nint raw;
        Cudnn.Check(Cudnn.cudnnCreateOpTensorDescriptor(&raw));
        owner.Own(raw);
        return owner;
    }

    /// <summary>Creates a descriptor (cudnnSetOpTensorDescriptor).</summary>
    public static CudnnOpTensorDescriptor Create(cudnnOpTensorOp_t op, cudnnDataType_t computeType, cudnnNanPropagation_t nanOpt) =>
        SetOrDispose(Create(), d => Cudnn.Check(Cudnn.cudnnSetOpTensorDescriptor(d.Value, op, computeType, nanOpt)));

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Cudnn.cudnnDestroyOpTensorDescriptor(handle) == cudnnStatus_t.CUDNN_STATUS_SUCCESS;
}
