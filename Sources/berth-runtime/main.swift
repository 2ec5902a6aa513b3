// berth-runtime: berth's OCI runtime, with runc's command line. All logic is in RuntimeCLI and
// RuntimeCore; this file only hands over the process.
import RuntimeCLI

RuntimeMain.main()
