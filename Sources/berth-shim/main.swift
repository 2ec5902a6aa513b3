// berth-shim: the per-container shim (containerd shim v2 Task API over ttrpc). All logic is in
// ShimCore; see docs/architecture.md.
import Glibc
import ShimCore

exit(ShimMain.run(Array(CommandLine.arguments.dropFirst())))
