#!/usr/bin/env node
// Type-checks each folder with its own tsconfig, so each folder is checked
// against the runtime it may use (renderer: DOM, no Node; shared/core: neither).
//
// The five projects are checked in one process through the TypeScript API,
// one program each, as `tsc -p <folder> --noEmit` would. Five tsc processes
// one after another parsed the same lib, @types/node, zod and shared/ files
// five times over: about a minute of the CI run. The programs now share the
// parsed files, keyed by the options that change how a file is parsed (as
// the language service shares them between projects); lib and types, the
// runtime of each folder, stay each program's own.
import { existsSync } from 'node:fs';
import ts from 'typescript';

const projects = ['shared/core', 'shared', 'electron', 'renderer', 'tests'].filter((p) => existsSync(`${p}/tsconfig.json`));

// The options that change a SourceFile itself (the language service's registry key).
const parseOptions = ts.sourceFileAffectingCompilerOptions?.map((o) => o.name) ?? ['target', 'module', 'jsx', 'jsxImportSource', 'moduleDetection', 'moduleResolution', 'alwaysStrict'];
const parsed = new Map();
const extendedConfigCache = new Map();

/** A compiler host that hands out the parsed file another project already made with the same parse options. */
function sharedHost(options) {
  const host = ts.createCompilerHost(options);
  const key = JSON.stringify(parseOptions.map((name) => options[name]));
  const parse = host.getSourceFile;
  host.getSourceFile = (fileName, languageVersionOrOptions, onError) => {
    const format = typeof languageVersionOrOptions === 'object' ? languageVersionOrOptions.impliedNodeFormat : undefined;
    const id = `${key}|${format}|${fileName}`;
    if (!parsed.has(id)) parsed.set(id, parse(fileName, languageVersionOrOptions, onError));
    return parsed.get(id);
  };
  return host;
}

/** The diagnostics `tsc --noEmit` reports, in its order: config, syntax, options, global, semantic. */
function diagnosticsOf(program) {
  const config = program.getConfigFileParsingDiagnostics();
  const found = [...config, ...program.getSyntacticDiagnostics()];
  if (found.length === config.length) found.push(...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics());
  if (found.length === config.length) found.push(...program.getSemanticDiagnostics());
  return ts.sortAndDeduplicateDiagnostics(found);
}

const formatHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: ts.sys.getCurrentDirectory, getNewLine: () => ts.sys.newLine };

/** Checks one folder; prints its errors as tsc does and returns how many there were. */
function check(project) {
  const sysHost = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => process.stdout.write(ts.formatDiagnostics([d], formatHost)) };
  const config = ts.getParsedCommandLineOfConfigFile(`${project}/tsconfig.json`, { noEmit: true }, sysHost, extendedConfigCache);
  if (!config) return 1;
  const program = ts.createProgram({
    rootNames: config.fileNames,
    options: config.options,
    projectReferences: config.projectReferences,
    host: sharedHost(config.options),
    configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(config),
  });
  const errors = diagnosticsOf(program);
  if (errors.length === 0) return 0;
  const pretty = process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
  process.stdout.write(pretty(errors, formatHost));
  return errors.length;
}

let failed = 0;
for (const project of projects) {
  const errors = check(project);
  if (errors) {
    failed++;
    console.error(`typecheck: ${project} has type errors (${errors})`);
  }
}
console.error(`typecheck: ${projects.length - failed} of ${projects.length} projects clean`);
process.exit(failed ? 1 : 0);
