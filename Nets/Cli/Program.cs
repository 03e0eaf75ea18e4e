return NativeNets.Cli.NativeNetsCli.Run(args);
