// The `captureguard` executable: hands the arguments to the command-line
// module and exits with the status it returns.
import CaptureGuardCLI
import Glibc

exit(CommandLineTool.run(Array(CommandLine.arguments.dropFirst()), console: .standard()))
