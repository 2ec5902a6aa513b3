// The RPC module throws Errdefs.CoreError; this alias keeps typed throws readable in signatures.
import Errdefs

public typealias CoreErrorBox = CoreError
