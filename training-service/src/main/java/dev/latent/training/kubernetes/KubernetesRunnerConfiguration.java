package dev.latent.training.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Beans of the Kubernetes runner; only with {@code latent.training.runner=kubernetes} outside worker mode. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression("'${latent.training.runner:in-process}' == 'kubernetes' and '${latent.training.worker-job-id:}' == ''")
public class KubernetesRunnerConfiguration {

  @Bean(destroyMethod = "close")
  KubernetesClient kubernetesClient() {
    return new KubernetesClientBuilder().build(); // in-cluster config, or ~/.kube/config
  }

  @Bean
  KubernetesJobLauncher kubernetesJobLauncher(KubernetesClient client, KubernetesRunnerProperties props) {
    return new KubernetesJobLauncher(client, props);
  }
}
