# NativeNets front door. `make run` and `make test` do all set-up on a machine that has the .NET SDK.
SHELL := /bin/bash
DOTNET ?= dotnet
CONFIG ?= Release
OUT := out
DATA ?= /usr/share/datasets/fashion-mnist
TESTS := Tests/bin/$(CONFIG)/net10.0/NativeNets.Tests

.PHONY: build run test bench bench-gpu bundle repro data fixtures pack clean

## build: compile everything; the command line lands in out/nativenets
build:
	$(DOTNET) build NativeNets.sln -c $(CONFIG) -nologo -v quiet -clp:ErrorsOnly
	$(DOTNET) publish Nets/Cli/NativeNets.Cli.csproj -c $(CONFIG) -o $(OUT) -nologo -v quiet -clp:ErrorsOnly
	@echo "built $(OUT)/nativenets"

## pack: NuGet packages (.nupkg and .snupkg) of NativeNets.Native, .Layers, .Data, .Nets and the nativenets .NET tool
## into out/packages; VERSION=x.y.z overrides the version in Directory.Build.props
PACKAGES := $(OUT)/packages
PACK_PROJECTS := Native/NativeNets.Native.csproj Layers/NativeNets.Layers.csproj Data/NativeNets.Data.csproj \
	Nets/NativeNets.Nets.csproj Nets/Cli/NativeNets.Cli.csproj
pack:
	rm -f $(PACKAGES)/*.nupkg $(PACKAGES)/*.snupkg
	for p in $(PACK_PROJECTS); do \
	  $(DOTNET) pack $$p -c $(CONFIG) -o $(PACKAGES) -nologo -v quiet -clp:ErrorsOnly \
	    -p:ContinuousIntegrationBuild=true $(if $(VERSION),-p:Version=$(VERSION)) || exit 1; \
	done
	@ls -l $(PACKAGES)

## data: Fashion-MNIST from Debian's dataset-fashion-mnist, installed if missing and if we can
data:
	@bash runtime/scripts/ensure-fashion-mnist.sh "$(DATA)"

## run: the lecture's first half on Fashion-MNIST, ending with the table
run: build data
	$(OUT)/nativenets seed --data "$(DATA)"

## test: every test; ends with the line "N passed, N failed, N skipped" (installs Open MPI and libturbojpeg for their tests when it can)
test:
	@bash runtime/scripts/ensure-test-libraries.sh
	$(DOTNET) build Tests/NativeNets.Tests.csproj -c $(CONFIG) -nologo -v quiet -clp:ErrorsOnly
	@bash runtime/scripts/run-tests.sh "$(TESTS)"

## bench: throughput of NativeNets and of the peers on this machine, written to Bench/RESULTS.md
bench: build data
	$(DOTNET) build Bench/NativeNets.Bench.csproj -c $(CONFIG) -nologo -v quiet -clp:ErrorsOnly
	Bench/bin/$(CONFIG)/net10.0/NativeNets.Bench --data "$(DATA)" --results Bench/RESULTS.md

## bench-gpu: NativeNets beside PyTorch on this GPU for every row of issue 5's table, written to Bench/RESULTS.md (ROWS="model:batch:precision ..." for others)
bench-gpu: build
	@bash runtime/scripts/bench-gpu.sh

## repro: train ARCH with its paper's recipe on DATA (make repro ARCH=resnet50 DATA=/imagenet); DRY=1 prints the plan only
repro: build
	$(OUT)/nativenets repro --recipe $(ARCH) $(if $(DATA),--data "$(DATA)") $(if $(DRY),--dry-run) $(if $(EPOCHS),--epochs $(EPOCHS))

## bundle: out/bundle.tar.xz for a Linux x64 GPU host without .NET (runtime, CLI, tests, fixtures; BUNDLE_DATA=1 adds Fashion-MNIST;
##         BUNDLE_FIXTURES=0 leaves the fixtures to the repository, as a device call that carries both must)
bundle:
	@bash runtime/scripts/make-bundle.sh

## fixtures: regenerate the PyTorch parity fixtures (needs Debian's python3-torch and python3-torchvision)
fixtures:
	@/usr/bin/python3 -c "import torch, torchvision" 2>/dev/null || { echo "make fixtures needs PyTorch: sudo apt-get install python3-torch python3-torchvision" >&2; exit 1; }
	/usr/bin/python3 Tests/Fixtures/generate.py
	/usr/bin/python3 Tests/Fixtures/generate_transforms.py
	/usr/bin/python3 Tests/Fixtures/generate_photos.py

clean:
	rm -rf $(OUT) */bin */obj Nets/Cli/bin Nets/Cli/obj
