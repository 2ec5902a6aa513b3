// RPC re-exports RPCFraming (Frame, FrameDecoder, TTRPC constants), which was split out of this
// module so that Foundation-free processes (berth-shim) can frame ttrpc without SwiftProtobuf.
@_exported import RPCFraming
