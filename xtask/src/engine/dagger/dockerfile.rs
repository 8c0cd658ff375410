//! `[[images]].dockerfile`: the Dagger engine's Dockerfile build of each platform, its context the
//! platform's binary (under its name) and the Dockerfile's other files, exported as one
//! multi-platform OCI archive into the release.

use std::collections::BTreeMap;
use std::path::PathBuf;

use dagger_sdk::{
    BuildArg, ContainerExportOptsBuilder, DirectoryDockerBuildOptsBuilder, ImageLayerCompression, ImageMediaTypes,
    Platform, Query,
};
use eyre::eyre;

use crate::plan::images::{platform, ImagePlan};

#[derive(Debug, Clone)]
pub struct Job {
    /// `images[N]`, for messages.
    pub key: String,
    /// Per platform: `os/arch[/variant]`, the binary on the host, its name in the context.
    pub platforms: Vec<(String, PathBuf, String)>,
    /// The context's other files: (on the host, path in the context); the Dockerfile first.
    pub context: Vec<(PathBuf, String)>,
    pub build_args: BTreeMap<String, String>,
    /// Set on each platform's image as the release's images have them.
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The archive, an absolute host path.
    pub export_to: String,
}

impl Job {
    pub fn new(image: &ImagePlan, binaries: &[PathBuf], export_to: String) -> Job {
        let d = image.dockerfile.as_ref().expect("a Dockerfile image");
        let platforms = image
            .platforms
            .iter()
            .zip(binaries)
            .zip(&image.paths)
            .map(|((t, bin), path)| {
                let (os, arch, variant) = platform(t);
                let shown = [Some(os), Some(arch), variant].into_iter().flatten().collect::<Vec<_>>().join("/");
                (shown, bin.clone(), path.rsplit('/').next().unwrap_or(path).to_owned())
            })
            .collect();
        Job {
            key: image.key.clone(),
            platforms,
            context: d.context.iter().map(|(src, rel, _)| (src.clone(), rel.clone())).collect(),
            build_args: d.build_args.clone(),
            labels: image.config.labels.clone(),
            annotations: image.annotations.clone(),
            export_to,
        }
    }
}

pub async fn build(client: &Query, job: &Job) -> eyre::Result<()> {
    let dockerfile = job.context.first().map(|(_, rel)| rel.as_str()).ok_or_else(|| eyre!("no Dockerfile"))?;
    let args: Vec<BuildArg> =
        job.build_args.iter().map(|(k, v)| BuildArg { name: k.clone(), value: v.clone() }).collect();
    let mut variants = Vec::new();
    for (platform, binary, name) in &job.platforms {
        let mut context = client.directory().with_file(name, client.host().file(binary.to_string_lossy()));
        for (src, rel) in &job.context {
            context = context.with_file(rel, client.host().file(src.to_string_lossy()));
        }
        let opts = DirectoryDockerBuildOptsBuilder::default()
            .dockerfile(dockerfile)
            .platform(Platform(platform.clone()))
            .build_args(args.clone())
            .build()?;
        let mut image = context.docker_build_opts(opts);
        // Dagger v0.21.8 (the newest the Go proxy has) builds a Dockerfile for the engine's own platform
        // whatever `platform` asks (fixed upstream after it, dagger#13911): an image labelled with one
        // CPU holding another's layers must not reach a release.
        let built_for = image.platform().await.map_err(|e| eyre!("{} for {platform}: {e}", job.key))?.0;
        if built_for != *platform {
            return Err(eyre!(
                "{} for {platform}: this Dagger engine built the Dockerfile for {built_for} instead (Dagger v0.21.8 \
                 ignores dockerBuild's platform; fixed in later releases, dagger/dagger#13911): list only \
                 {built_for} in this image's platforms, or describe the image without a Dockerfile, which any \
                 engine makes for every platform",
                job.key
            ));
        }
        for (k, v) in &job.labels {
            image = image.with_label(k, v);
        }
        for (k, v) in &job.annotations {
            image = image.with_annotation(k, v);
        }
        // The build's own error (a failing RUN, a missing COPY source), named by platform.
        image.sync().await.map_err(|e| eyre!("{} for {platform}: the Dockerfile build failed: {e}", job.key))?;
        variants.push(image);
    }
    let (first, rest) = variants.split_first().ok_or_else(|| eyre!("{}: no platform", job.key))?;
    let mut ids = Vec::new();
    for v in rest {
        ids.push(v.id().await?);
    }
    let opts = ContainerExportOptsBuilder::default()
        .platform_variants(ids)
        .forced_compression(ImageLayerCompression::Gzip)
        .media_types(ImageMediaTypes::OciMediaTypes)
        .build()?;
    first.export_opts(&job.export_to, opts).await.map_err(|e| eyre!("{}: cannot export the image: {e}", job.key))?;
    Ok(())
}
