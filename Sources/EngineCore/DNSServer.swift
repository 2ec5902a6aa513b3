// DNSServer: one user-defined network's name server — UDP and TCP (RFC 1035's two-byte length
// framing) on the network's gateway address, port 53, on the engine's NIO event loops. The
// sockets are bound with IP_FREEBIND: the gateway address only appears on the bridge when the
// first container's CNI ADD makes it, and the server is up from `network create` (and from
// engine start, for the networks that exist) to `network rm`. Each query asks `resolve` (the
// engine, Engine+DNS.swift) what to do: answer with addresses, say the name does not exist or
// has no record of that type, refuse, or forward to upstreams (DNSForwarder, on a thread).
import Foundation
import Glibc
import NIOCore
import NIOPosix
import Synchronization

/// The engine's decision about one query.
enum DNSVerdict: Sendable, Equatable {
    /// The name is a container's: its IPv4 addresses (A/ANY get them, other types none).
    case addresses([[UInt8]])
    /// An address of a container's: its name (PTR/ANY get it, other types none).
    case pointer(String)
    case nameError
    case refused
    /// Not a container's: these upstreams (none: SERVFAIL at once).
    case forward([String])
}

final class DNSServer: Sendable {
    typealias Resolver = @Sendable (_ query: DNSQuery, _ source: String) async -> DNSVerdict

    let address: String
    private let udp: any Channel
    private let tcp: any Channel

    private init(address: String, udp: any Channel, tcp: any Channel) {
        self.address = address
        self.udp = udp
        self.tcp = tcp
    }

    /// At most this many queries are worked on at once per server; more are dropped (UDP) or
    /// wait (TCP reads one query at a time per connection).
    static let inFlightLimit = 256

    static func start(address: String, port: Int = 53, resolve: @escaping Resolver,
                      group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> DNSServer {
        let freebind = ChannelOptions.Types.SocketOption(level: .ip, name: NIOBSDSocket.Option(rawValue: IP_FREEBIND))
        let inFlight = InFlight()
        let udp = try await DatagramBootstrap(group: group)
            .channelOption(freebind, value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UDPHandler(resolve: resolve, inFlight: inFlight))
                }
            }
            .bind(host: address, port: port).get()
        do {
            let tcp = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(freebind, value: 1)
                .serverChannelOption(.backlog, value: 64)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .seconds(30)))
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(TCPFrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(TCPHandler(resolve: resolve))
                    }
                }
                .bind(host: address, port: port).get()
            return DNSServer(address: address, udp: udp, tcp: tcp)
        } catch {
            try? await udp.close()
            throw error
        }
    }

    func stop() async {
        try? await udp.close()
        try? await tcp.close()
    }

    /// The reply to `bytes` from `source`; nil when nothing is to be sent back.
    static func respond(_ bytes: [UInt8], source: String, overTCP: Bool = false, resolve: Resolver) async -> [UInt8]? {
        let query: DNSQuery
        do { query = try DNSQuery.parse(bytes) } catch {
            return DNSQuery.headerReply(to: bytes, code: .formatError)
        }
        guard query.opcode == 0 else { return query.reply(.notImplemented) }
        switch await resolve(query, source) {
        case .addresses(let addresses):
            let wanted = query.qclass == DNSQuery.classIN && (query.type == DNSQuery.typeA || query.type == DNSQuery.typeANY)
            return query.reply(.noError, addresses: wanted ? addresses : [], limit: overTCP ? 65535 : 512)
        case .pointer(let target):
            let wanted = query.qclass == DNSQuery.classIN && (query.type == DNSQuery.typePTR || query.type == DNSQuery.typeANY)
            return wanted ? query.reply(pointingTo: target, limit: overTCP ? 65535 : 512) : query.reply(.noError)
        case .nameError: return query.reply(.nameError)
        case .refused: return query.reply(.refused)
        case .forward(let upstreams):
            guard !upstreams.isEmpty else { return query.reply(.serverFailure) }
            let reply: [UInt8]? = await withCheckedContinuation { continuation in
                Thread { continuation.resume(returning: DNSForwarder.forward(bytes, to: upstreams)) }.start()
            }
            return reply ?? query.reply(.serverFailure)
        }
    }
}

/// The count of a server's queries being worked on, shared by its handlers.
private final class InFlight: Sendable {
    let count = Mutex(0)
}

private final class UDPHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let resolve: DNSServer.Resolver
    let inFlight: InFlight

    init(resolve: @escaping DNSServer.Resolver, inFlight: InFlight) {
        self.resolve = resolve
        self.inFlight = inFlight
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        let admitted = inFlight.count.withLock { count in
            guard count < DNSServer.inFlightLimit else { return false }
            count += 1
            return true
        }
        guard admitted else { return }
        let bytes = Array(envelope.data.readableBytesView)
        let remote = envelope.remoteAddress
        let channel = context.channel
        let resolve = self.resolve, inFlight = self.inFlight
        Task {
            defer { inFlight.count.withLock { $0 -= 1 } }
            guard let reply = await DNSServer.respond(bytes, source: remote.ipAddress ?? "", resolve: resolve) else { return }
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: ByteBuffer(bytes: reply)), promise: nil)
        }
    }
}

/// RFC 1035 §4.2.2: each message over TCP is preceded by its length in two bytes.
private struct TCPFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
              buffer.readableBytes >= 2 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        context.fireChannelRead(Self.wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }
}

private final class TCPHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let resolve: DNSServer.Resolver

    init(resolve: @escaping DNSServer.Resolver) { self.resolve = resolve }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(Self.unwrapInboundIn(data).readableBytesView)
        let channel = context.channel
        let source = channel.remoteAddress?.ipAddress ?? ""
        let resolve = self.resolve
        Task {
            guard let reply = await DNSServer.respond(bytes, source: source, overTCP: true, resolve: resolve), reply.count <= 65535 else {
                _ = try? await channel.close()
                return
            }
            var buffer = ByteBuffer()
            buffer.writeInteger(UInt16(reply.count))
            buffer.writeBytes(reply)
            channel.writeAndFlush(buffer, promise: nil)
        }
    }

    /// A connection that sent nothing for 30 s is closed.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) } else { context.fireUserInboundEventTriggered(event) }
    }
}
