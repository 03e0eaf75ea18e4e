namespace NativeNets.Tensors;

/// <summary>
/// Memory order of a 4-D activation tensor. Shapes are always given in NCHW order (N, C, H, W), as
/// PyTorch does; the layout says how they are laid out in memory. Tensors of other ranks are row-major.
/// </summary>
public enum Layout : byte
{
    NCHW,
    NHWC,
}
