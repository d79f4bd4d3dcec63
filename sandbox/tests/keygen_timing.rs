#[tokio::test]
async fn timing() {
    let t = std::time::Instant::now();
    let h = pmsflow_sandbox::Sandbox::spawn(Default::default()).await.unwrap();
    eprintln!("spawn took {:?} {}", t.elapsed(), h.base_url);
}
