// Runs open-source Kubeflow Pipelines' own Argo compiler (KFP 2.0.5's backend, as a module
// dependency) on a compiled PipelineJob JSON: the judge of whether KFP's backend accepts a spec.
//
//	go run . SPEC.json > workflow.json   # exit 0: the Argo Workflow; exit 1: KFP's error
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/kubeflow/pipelines/api/v2alpha1/go/pipelinespec"
	"github.com/kubeflow/pipelines/backend/src/v2/compiler/argocompiler"
	"google.golang.org/protobuf/encoding/protojson"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kfp_compiler SPEC.json")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	job := &pipelinespec.PipelineJob{}
	// Strict: a field KFP's proto does not know is an error, as in KFP's API server.
	if err := protojson.Unmarshal(raw, job); err != nil {
		fmt.Fprintf(os.Stderr, "parsing the PipelineJob: %v\n", err)
		os.Exit(1)
	}
	workflow, err := argocompiler.Compile(job, nil, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := json.Marshal(workflow)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Stdout.Write(out)
}
