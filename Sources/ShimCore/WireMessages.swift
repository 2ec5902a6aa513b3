// WireMessages: the envelope and shared messages the shim reads and writes — ttrpc.Request and
// ttrpc.Response, google.rpc.Status, google.protobuf.Timestamp and Any, containerd.types.Mount and
// containerd.v1.types.ProcessInfo — with the field numbers of Protocols/ (shared notes §1.3, §2.4).
// A field arriving with an unexpected wire type is skipped like an unknown one.
import Errdefs

/// `ttrpc.Request`: service=1, method=2, payload=3, timeout_nano=4, metadata=5 (KeyValue key=1 value=2).
public struct TTRPCRequest: ProtoMessage, Equatable {
    public var service = ""
    public var method = ""
    public var payload: [UInt8] = []
    public var timeoutNano: Int64 = 0
    public var metadata: [KeyValue] = []
    public init() {}

    public struct KeyValue: ProtoMessage, Equatable {
        public var key = ""
        public var value = ""
        public init() {}
        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
        public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
            switch (field, wire) {
            case (1, .lengthDelimited): key = try r.string()
            case (2, .lengthDelimited): value = try r.string()
            default: return false
            }
            return true
        }
        public func encode(to w: inout ProtoWriter) {
            w.string(1, key)
            w.string(2, value)
        }
    }

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): service = try r.string()
        case (2, .lengthDelimited): method = try r.string()
        case (3, .lengthDelimited): payload = Array(try r.lengthDelimited())
        case (4, .varint): timeoutNano = try r.int64()
        case (5, .lengthDelimited): metadata.append(try r.message())
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, service)
        w.string(2, method)
        w.bytes(3, payload)
        w.int64(4, timeoutNano)
        w.repeatedMessage(5, metadata)
    }

    /// The first value of a metadata key (keys are lower-case on the wire).
    public func metadataValue(_ key: String) -> String? {
        metadata.first { $0.key == key }?.value
    }
}

/// `google.rpc.Status`: code=1, message=2 (details=3 are not read).
public struct RPCStatus: ProtoMessage, Equatable {
    public var code: Int32 = 0
    public var message = ""
    public init() {}
    public init(_ error: CoreError) {
        code = error.code.rawValue
        message = error.message
    }

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .varint): code = try r.int32()
        case (2, .lengthDelimited): message = try r.string()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.int32(1, code)
        w.string(2, message)
    }
}

/// `ttrpc.Response`: status=1 (absent when OK, as Go sends it), payload=2.
public struct TTRPCResponse: ProtoMessage, Equatable {
    public var status: RPCStatus?
    public var payload: [UInt8] = []
    public init() {}
    public init(_ result: Result<[UInt8], CoreError>) {
        switch result {
        case .success(let bytes): payload = bytes
        case .failure(let error): status = RPCStatus(error)
        }
    }

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): status = try r.message()
        case (2, .lengthDelimited): payload = Array(try r.lengthDelimited())
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.message(1, status)
        w.bytes(2, payload)
    }
}

/// `google.protobuf.Timestamp`: seconds=1, nanos=2.
public struct Timestamp: ProtoMessage, Equatable {
    public var seconds: Int64 = 0
    public var nanos: Int32 = 0
    public init() {}
    public init(seconds: Int64, nanos: Int32) {
        self.seconds = seconds
        self.nanos = nanos
    }

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .varint): seconds = try r.int64()
        case (2, .varint): nanos = try r.int32()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.int64(1, seconds)
        w.int32(2, nanos)
    }
}

/// `google.protobuf.Any`: type_url=1, value=2. containerd's type URLs carry no
/// `type.googleapis.com/` prefix (shared notes §2.4).
public struct AnyMessage: ProtoMessage, Equatable {
    public var typeURL = ""
    public var value: [UInt8] = []
    public init() {}
    public init(typeURL: String, value: [UInt8]) {
        self.typeURL = typeURL
        self.value = value
    }

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): typeURL = try r.string()
        case (2, .lengthDelimited): value = Array(try r.lengthDelimited())
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, typeURL)
        w.bytes(2, value)
    }

    /// The message name: the type URL after its last "/" (with or without a prefix).
    public var messageName: Substring {
        typeURL.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
    }
}

/// `containerd.types.Mount`: type=1, source=2, target=3, options=4 (repeated).
public struct MountSpec: ProtoMessage, Equatable {
    public var type = ""
    public var source = ""
    public var target = ""
    public var options: [String] = []
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): type = try r.string()
        case (2, .lengthDelimited): source = try r.string()
        case (3, .lengthDelimited): target = try r.string()
        case (4, .lengthDelimited): options.append(try r.string())
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, type)
        w.string(2, source)
        w.string(3, target)
        w.repeatedString(4, options)
    }
}

/// `containerd.v1.types.ProcessInfo`: pid=1, info=2 (Any).
public struct ProcessInfo: ProtoMessage, Equatable {
    public var pid: UInt32 = 0
    public var info: AnyMessage?
    public init() {}
    public init(pid: UInt32) { self.pid = pid }

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .varint): pid = try r.uint32()
        case (2, .lengthDelimited): info = try r.message()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.uint32(1, pid)
        w.message(2, info)
    }
}
